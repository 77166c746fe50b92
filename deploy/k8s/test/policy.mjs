// Policy for the rendered manifests: what every tminus pod must have, and
// that the HTTP port (dashboard, API, /metrics) is declared, exposed, scraped
// with the right token and let through the NetworkPolicy. Each finding names
// the object and container.
import { objectName, podSpec } from "./render.mjs";
import { admits, containerPort, selects, servicePods, workloads } from "./network.mjs";

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

// ---- The HTTP port and its scraping ----

export const METRICS_PATH = "/metrics";
const HTTP = "http";  // the container port name of --http-listen
// The daemons that serve HTTP, and the flag naming the tokens their /metrics
// accepts (none given: /metrics is open).
const METRICS_TOKEN_FLAG = { "tminus-coordinator": "client-token-file",
                             "tminus-worker": "metrics-token-file" };
const isDaemon = (container) => (container.command?.[0] ?? "") in METRICS_TOKEN_FLAG;
const daemonOf = (pod) => podSpec(pod.object).containers.find(isDaemon);
const LOOPBACK = /^(127\.|localhost$|\[?::1\]?$)/;

// A flag's value in `--name=value` or `--name value` form.
export function flagValue(container, name) {
  const args = container.args ?? [];
  for (let i = 0; i < args.length; i++) {
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
    if (args[i] === `--${name}`) return args[i + 1];
  }
  return undefined;
}

// Where a file in a container comes from: {mount, volume, key} (key: the
// Secret key for a secret volume), or null when no volume holds the path.
function fileSource(pod, container, path) {
  const mount = (container.volumeMounts ?? []).find((m) => path.startsWith(`${m.mountPath}/`));
  if (!mount) return null;
  const volume = (pod.volumes ?? []).find((v) => v.name === mount.name) ?? {};
  const relative = path.slice(mount.mountPath.length + 1);
  const items = volume.secret?.items;
  const key = items ? items.find((i) => i.path === relative)?.key : relative;
  return { mount, volume, key };
}

// Every token file a flag names is on a volume, and a Secret volume has that key.
function tokenFileFindings(objects, object, pod, container) {
  const where = `${objectName(object)} container ${container.name}`;
  const found = [];
  for (const arg of container.args ?? []) {
    const match = /^--([a-z-]*token-file)=(.+)$/.exec(arg);
    if (!match) continue;
    const [, flag, path] = match;
    const source = fileSource(pod, container, path);
    if (!source) {
      found.push(`${where}: --${flag} ${path} is not on a mounted volume`);
      continue;
    }
    const secretName = source.volume.secret?.secretName;
    if (!secretName) continue;
    const secret = objects.find((o) => o.kind === "Secret" && o.metadata.name === secretName);
    if (source.key === undefined) {
      found.push(`${where}: --${flag} ${path} is not among the items of Secret ${secretName}`);
    } else if (secret && !(source.key in { ...secret.data, ...secret.stringData })) {
      found.push(`${where}: --${flag} ${path}: Secret ${secretName} has no key ${source.key}`);
    }
  }
  return found;
}

// A daemon listens for HTTP on a declared port named http, reachable from
// outside the pod.
function httpPortFindings(object, container) {
  if (!isDaemon(container)) return [];
  const where = `${objectName(object)} container ${container.name}`;
  const listen = flagValue(container, "http-listen");
  if (!listen) return [`${where}: no --http-listen`];
  const match = /^(.*):(\d+)$/.exec(listen);
  if (!match) return [`${where}: --http-listen ${listen} is not HOST:PORT`];
  const found = [];
  if (LOOPBACK.test(match[1])) {
    found.push(`${where}: --http-listen ${listen} is on loopback: nothing outside the pod reaches it`);
  }
  const declared = (container.ports ?? []).find((p) => p.name === HTTP);
  if (!declared) found.push(`${where}: no container port named ${HTTP}`);
  else if (declared.containerPort !== Number(match[2])) {
    found.push(`${where}: container port ${HTTP} is ${declared.containerPort}, ` +
               `--http-listen is on ${match[2]}`);
  }
  return found;
}

// prometheus.io/* annotations (on a pod template or a Service) name the
// http port of the pods and the metrics path.
function annotationFindings(name, annotations = {}, pods, required) {
  if (annotations["prometheus.io/scrape"] !== "true") {
    return required ? [`${name}: no prometheus.io/scrape: "true" annotation`] : [];
  }
  const found = [];
  const port = annotations["prometheus.io/port"];
  for (const pod of pods) {
    const declared = containerPort(pod, Number(port));
    if (!declared) {
      found.push(`${name}: prometheus.io/port ${port} is not a port of ${objectName(pod.object)}`);
    } else if (declared.name !== HTTP) {
      found.push(`${name}: prometheus.io/port ${port} is port ${declared.name} of ` +
                 `${objectName(pod.object)}, not ${HTTP}`);
    }
  }
  const path = annotations["prometheus.io/path"] ?? METRICS_PATH;
  if (path !== METRICS_PATH) found.push(`${name}: prometheus.io/path ${path} is not ${METRICS_PATH}`);
  return found;
}

// Every Service port leads to a port its pods declare; the coordinator's
// Service (the host of TMINUS_COORDINATOR) exposes the http port too.
function serviceFindings(objects, pods) {
  const found = [];
  for (const service of objects.filter((o) => o.kind === "Service")) {
    const name = objectName(service);
    const selected = servicePods(service, pods);
    if (selected.length === 0) {
      found.push(`${name}: selects no pod`);
      continue;
    }
    for (const port of service.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      for (const pod of selected.filter((p) => !containerPort(p, target))) {
        found.push(`${name} port ${port.name ?? port.port}: targetPort ${target} ` +
                   `is not declared by ${objectName(pod.object)}`);
      }
    }
    found.push(...annotationFindings(name, service.metadata.annotations, selected, false));
  }
  const config = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "tminus-config");
  const host = config?.data?.TMINUS_COORDINATOR?.split(":")[0];
  const service = objects.find((o) => o.kind === "Service" && o.metadata.name === host);
  if (!service) return [...found, `no Service ${host} (TMINUS_COORDINATOR)`];
  const exposesHttp = servicePods(service, pods).some((pod) => (service.spec.ports ?? []).some(
    (p) => containerPort(pod, p.targetPort ?? p.port)?.name === HTTP));
  if (!exposesHttp) found.push(`${objectName(service)}: no port for the coordinator's ${HTTP} port`);
  return found;
}

// A ServiceMonitor endpoint's bearer token is the Secret key the pod's
// /metrics accepts.
function scrapeTokenFindings(where, endpoint, pod) {
  const container = daemonOf(pod);
  const flag = METRICS_TOKEN_FLAG[container.command[0]];
  const file = flagValue(container, flag);
  if (!file) return [];  // /metrics is open
  const source = fileSource(podSpec(pod.object), container, file);
  const wanted = `${source?.volume.secret?.secretName}/${source?.key}`;
  const credentials = endpoint.bearerTokenSecret ?? endpoint.authorization?.credentials;
  if (!credentials) {
    return [`${where}: no bearer token, but ${objectName(pod.object)}'s /metrics takes ${wanted}`];
  }
  const sent = `${credentials.name}/${credentials.key}`;
  return sent === wanted ? [] : [
    `${where}: sends the token ${sent}, ${objectName(pod.object)}'s /metrics takes ${wanted}`];
}

// Each ServiceMonitor endpoint names a port every selected Service declares,
// which leads to the pods' http port; with any ServiceMonitor, every daemon
// is scraped by one.
function serviceMonitorFindings(objects, pods) {
  const monitors = objects.filter((o) => o.kind === "ServiceMonitor");
  if (monitors.length === 0) return [];
  const services = objects.filter((o) => o.kind === "Service");
  const found = [];
  const scraped = new Set();
  for (const monitor of monitors) {
    const name = objectName(monitor);
    const namespaces = monitor.spec.namespaceSelector ?? {};
    const inScope = (s) => namespaces.any ||
      (namespaces.matchNames ?? [monitor.metadata.namespace]).includes(s.metadata.namespace);
    const selected = services.filter((s) => inScope(s) &&
                                            selects(monitor.spec.selector, s.metadata.labels));
    if (selected.length === 0) found.push(`${name}: selects no Service`);
    (monitor.spec.endpoints ?? []).forEach((endpoint, i) => {
      const where = `${name} endpoint ${i}`;
      if ((endpoint.path ?? METRICS_PATH) !== METRICS_PATH) {
        found.push(`${where}: path ${endpoint.path} is not ${METRICS_PATH}`);
      }
      if (!endpoint.port) {
        found.push(`${where}: names no Service port`);
        return;
      }
      for (const service of selected) {
        const port = (service.spec.ports ?? []).find((p) => p.name === endpoint.port);
        if (!port) {
          found.push(`${where}: ${objectName(service)} declares no port ${endpoint.port}`);
          continue;
        }
        for (const pod of servicePods(service, pods)) {
          const target = containerPort(pod, port.targetPort ?? port.port);
          if (target?.name !== HTTP) {
            found.push(`${where}: ${objectName(service)} port ${endpoint.port} leads to ` +
                       `${objectName(pod.object)} port ${target?.name ?? port.targetPort}, not ${HTTP}`);
            continue;
          }
          scraped.add(pod.object);
          if (daemonOf(pod)) found.push(...scrapeTokenFindings(where, endpoint, pod));
        }
      }
    });
  }
  for (const pod of pods.filter((p) => daemonOf(p) && !scraped.has(p.object))) {
    found.push(`${objectName(pod.object)}: no ServiceMonitor scrapes it`);
  }
  return found;
}

// Who the NetworkPolicies let in, tried with stand-in pods: a scraper (pod
// label tminus.io/scraper=true, in a namespace `monitoring`) reaches every
// daemon's http port; workers and client pods (tminus.io/client=true) reach
// the coordinator's gRPC port; a pod with no labels in another namespace
// reaches no port.
export const SCRAPER = { namespace: "monitoring", labels: { "tminus.io/scraper": "true" } };
function networkPolicyFindings(objects, pods) {
  const policies = objects.filter((o) => o.kind === "NetworkPolicy");
  const inNamespace = (namespace, labels) => ({
    namespace, labels,
    namespaceLabels: { ...objects.find((o) => o.kind === "Namespace" &&
                                              o.metadata.name === namespace)?.metadata.labels,
                       "kubernetes.io/metadata.name": namespace },
  });
  const scraper = inNamespace(SCRAPER.namespace, SCRAPER.labels);
  const stranger = inNamespace("elsewhere", {});
  const found = [];
  const daemons = pods.filter(daemonOf);
  for (const pod of daemons) {
    const name = objectName(pod.object);
    const http = pod.ports.find((p) => p.name === HTTP);
    if (http && !admits(policies, pod, scraper, http.containerPort)) {
      found.push(`NetworkPolicy: a scraper (tminus.io/scraper=true, namespace monitoring) ` +
                 `cannot reach ${name} on ${HTTP} (${http.containerPort})`);
    }
    for (const port of pod.ports.filter((p) => admits(policies, pod, stranger, p.containerPort))) {
      found.push(`NetworkPolicy: any pod reaches ${name} on ${port.name} (${port.containerPort})`);
    }
  }
  const coordinator = daemons.find((p) => daemonOf(p).command[0] === "tminus-coordinator");
  const grpc = coordinator?.ports.find((p) => p.name === "grpc")?.containerPort;
  if (!coordinator || !grpc) return [...found, "no coordinator with a grpc port"];
  const clients = [inNamespace(coordinator.namespace, { "tminus.io/client": "true" }),
                   ...daemons.filter((p) => p !== coordinator)
                     .map((p) => inNamespace(p.namespace, p.labels))];
  for (const client of clients.filter((c) => !admits(policies, coordinator, c, grpc))) {
    found.push(`NetworkPolicy: pods labelled ${JSON.stringify(client.labels)} cannot reach ` +
               `${objectName(coordinator.object)} on grpc (${grpc})`);
  }
  return found;
}

export function policyFindings(objects) {
  const found = [];
  const pods = workloads(objects);
  for (const object of objects) {
    const pod = podSpec(object);
    if (!pod) continue;
    if (pod.automountServiceAccountToken !== false) {
      found.push(`${objectName(object)}: mounts a service account token`);
    }
    for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
      found.push(...containerFindings(object, pod, container),
                 ...httpPortFindings(object, container),
                 ...tokenFileFindings(objects, object, pod, container));
    }
    const self = pods.filter((p) => p.object === object);
    found.push(...annotationFindings(`${objectName(object)} pod template`, self[0].annotations,
                                     self, pod.containers.some(isDaemon)));
  }
  return [...found, ...drainFindings(objects), ...serviceFindings(objects, pods),
          ...serviceMonitorFindings(objects, pods), ...networkPolicyFindings(objects, pods)];
}
