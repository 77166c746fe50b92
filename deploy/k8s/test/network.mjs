// Label selectors, Services and NetworkPolicies evaluated as Kubernetes does,
// on the rendered objects: which pods a selector picks, which container port
// a Service or policy port means, and whether a policy lets a pod in.
import { podSpec } from "./render.mjs";

// A LabelSelector ({matchLabels, matchExpressions}; {} selects everything).
export function selects(selector, labels = {}) {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    const has = key in labels;
    switch (operator) {
      case "In": return has && values.includes(labels[key]);
      case "NotIn": return !has || !values.includes(labels[key]);
      case "Exists": return has;
      case "DoesNotExist": return !has;
      default: return false;
    }
  });
}

// The pods a set of objects would run: one entry per workload (its template).
export function workloads(objects) {
  return objects.filter((o) => podSpec(o)).map((o) => {
    const meta = o.kind === "Pod" ? o.metadata
      : (o.kind === "CronJob" ? o.spec.jobTemplate.spec.template : o.spec.template).metadata;
    return {
      object: o,
      namespace: o.metadata.namespace,
      labels: meta?.labels ?? {},
      annotations: meta?.annotations ?? {},
      ports: podSpec(o).containers.flatMap((c) => c.ports ?? []),
    };
  });
}

// The container port a Service targetPort or a policy port names (a number
// or a port name), or undefined when the pod declares no such port.
export const containerPort = (pod, port) =>
  pod.ports.find((p) => (typeof port === "string" ? p.name === port : p.containerPort === port));

// The pods a Service sends traffic to (a Service without a selector: none).
export const servicePods = (service, pods) =>
  service.spec?.selector
    ? pods.filter((p) => p.namespace === service.metadata.namespace &&
                         selects({ matchLabels: service.spec.selector }, p.labels))
    : [];

// Whether `source` ({namespace, namespaceLabels, labels}) may open a TCP
// connection to `target` (a workload above) on container port `port`.
export function admits(policies, target, source, port) {
  const isolating = policies.filter((p) =>
    p.metadata.namespace === target.namespace &&
    (p.spec.policyTypes ?? ["Ingress"]).includes("Ingress") &&
    selects(p.spec.podSelector, target.labels));
  if (isolating.length === 0) return true;
  const peerMatches = (policy, peer) => {
    if (peer.ipBlock) return false;
    const namespaceOk = peer.namespaceSelector
      ? selects(peer.namespaceSelector, source.namespaceLabels)
      : source.namespace === policy.metadata.namespace;
    return namespaceOk && (!peer.podSelector || selects(peer.podSelector, source.labels));
  };
  const portMatches = (p) => {
    if ((p.protocol ?? "TCP") !== "TCP") return false;
    if (p.port === undefined) return true;
    if (typeof p.port === "string") return containerPort(target, p.port)?.containerPort === port;
    return port >= p.port && port <= (p.endPort ?? p.port);
  };
  return isolating.some((policy) => (policy.spec.ingress ?? []).some((rule) =>
    (!rule.from?.length || rule.from.some((peer) => peerMatches(policy, peer))) &&
    (!rule.ports?.length || rule.ports.some(portMatches))));
}
