// Policy for the rendered manifests: what every tminus pod must have. Each
// finding names the object and container.
import { objectName, podSpec } from "./render.mjs";

const LONG_RUNNING = new Set(["Deployment", "StatefulSet", "DaemonSet"]);

function containerFindings(object, pod, container) {
  const where = `${objectName(object)} container ${container.name}`;
  const found = [];
  for (const kind of ["requests", "limits"]) {
    for (const resource of ["cpu", "memory"]) {
      if (!container.resources?.[kind]?.[resource]) found.push(`${where}: no ${kind}.${resource}`);
    }
  }
  if (LONG_RUNNING.has(object.kind)) {
    for (const probe of ["readinessProbe", "livenessProbe"]) {
      if (!container[probe]) found.push(`${where}: no ${probe}`);
    }
    const ports = new Set((container.ports ?? []).map((p) => p.containerPort));
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      const port = probe?.grpc?.port;
      if (probe && !ports.has(port)) found.push(`${where}: probe on undeclared port ${port}`);
    }
  }
  const security = { ...pod.securityContext, ...container.securityContext };
  if (security.runAsNonRoot !== true) found.push(`${where}: runAsNonRoot is not true`);
  if (security.runAsUser === 0) found.push(`${where}: runs as uid 0`);
  if (container.securityContext?.readOnlyRootFilesystem !== true) {
    found.push(`${where}: root filesystem is writable`);
  }
  if (container.securityContext?.allowPrivilegeEscalation !== false) {
    found.push(`${where}: privilege escalation allowed`);
  }
  if (!container.securityContext?.capabilities?.drop?.includes("ALL")) {
    found.push(`${where}: capabilities not dropped`);
  }
  if (!/:[^/]+$/.test(container.image ?? "") || container.image.endsWith(":latest")) {
    found.push(`${where}: image ${container.image} has no fixed tag`);
  }
  return found;
}

// The worker's grace period must cover its drain, or Kubernetes kills
// workers mid-drain and their chunks are redone.
function drainFindings(objects) {
  const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "tminus-config");
  const worker = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "tminus-worker");
  if (!config || !worker) return ["tminus-config or tminus-worker is missing"];
  const drain = Number(config.data?.DRAIN_TIMEOUT);
  const grace = worker.spec.template.spec.terminationGracePeriodSeconds ?? 30;
  return grace > drain ? [] : [
    `Deployment/tminus-worker: terminationGracePeriodSeconds ${grace} <= DRAIN_TIMEOUT ${drain}`];
}

export function policyFindings(objects) {
  const found = [];
  for (const object of objects) {
    const pod = podSpec(object);
    if (!pod) continue;
    if (pod.automountServiceAccountToken !== false) {
      found.push(`${objectName(object)}: mounts a service account token`);
    }
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      found.push(...containerFindings(object, pod, container));
    }
  }
  return [...found, ...drainFindings(objects)];
}
