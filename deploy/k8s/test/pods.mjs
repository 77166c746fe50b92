// What the kubelet would run for tminus's pods, read from a rendered overlay:
// command, args with $(VAR) expanded, env (ConfigMap and downward API
// filled in), ports, probes, the Prometheus scrape target (annotations),
// mounts and the Secret files. Prints JSON; the
// namespace "pods" test (tests/deploy) runs exactly this.
//   node pods.mjs OVERLAY_DIR
import { render, podSpec } from "./render.mjs";

const WORKLOADS = {
  coordinator: ["StatefulSet", "tminus-coordinator"],
  worker: ["Deployment", "tminus-worker"],
  submit: ["Job", "tminus-example-submit"],
};

function cpuUnits(quantity, divisor = "1") {
  const value = (q) => (String(q).endsWith("m") ? parseFloat(q) / 1000 : parseFloat(q));
  return String(Math.max(1, Math.ceil(value(quantity) / value(divisor))));
}

export function envOf(objects, podName, container) {
  const env = {};
  for (const from of container.envFrom ?? []) {
    const map = objects.find((o) => o.kind === "ConfigMap" &&
                                    o.metadata.name === from.configMapRef?.name);
    if (!map) throw new Error(`ConfigMap ${from.configMapRef?.name} is not in the overlay`);
    Object.assign(env, map.data);
  }
  for (const v of container.env ?? []) {
    const field = v.valueFrom?.fieldRef?.fieldPath;
    const resource = v.valueFrom?.resourceFieldRef;
    if (v.value !== undefined) env[v.name] = v.value;
    else if (field === "metadata.name") env[v.name] = podName;
    else if (field === "spec.nodeName") env[v.name] = "test-node";  // every pod runs here
    else if (resource?.resource === "limits.cpu") {
      env[v.name] = cpuUnits(container.resources.limits.cpu, resource.divisor);
    } else throw new Error(`env ${v.name}: no stand-in for ${JSON.stringify(v.valueFrom)}`);
  }
  return env;
}

// Kubernetes' $(VAR) expansion: defined names only; $$ is a literal $.
export const expand = (text, env) =>
  text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, name) =>
    m === "$$" ? "$" : name in env ? env[name] : m);

function mountsOf(objects, pod, container) {
  return (container.volumeMounts ?? []).map((mount) => {
    const volume = (pod.volumes ?? []).find((v) => v.name === mount.name) ?? {};
    const entry = { name: mount.name, path: mount.mountPath, files: {} };
    if (volume.secret) {
      const secret = objects.find((o) => o.kind === "Secret" &&
                                         o.metadata.name === volume.secret.secretName);
      if (!secret) throw new Error(`Secret ${volume.secret.secretName} is not in the overlay`);
      for (const [key, data] of Object.entries(secret.data ?? {})) {
        entry.files[key] = Buffer.from(data, "base64").toString("utf8");
      }
    }
    return entry;
  });
}

const probe = (p) => (p?.grpc ? { port: p.grpc.port, service: p.grpc.service ?? "" } : null);

// Where the prometheus.io annotations say to scrape, or null.
function scrape(template) {
  const a = template?.metadata?.annotations ?? {};
  return a["prometheus.io/scrape"] === "true"
    ? { port: Number(a["prometheus.io/port"]), path: a["prometheus.io/path"] ?? "/metrics" } : null;
}

export function pods(objects) {
  const result = {};
  for (const [role, [kind, name]] of Object.entries(WORKLOADS)) {
    const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
    if (!object) throw new Error(`${kind}/${name} is not in the overlay`);
    const pod = podSpec(object);
    const container = pod.containers[0];
    const podName = kind === "StatefulSet" ? `${name}-0` : `${name}-test`;
    const env = envOf(objects, podName, container);
    result[role] = {
      pod: podName,
      argv: [...container.command, ...(container.args ?? [])].map((a) => expand(a, env)),
      env,
      ports: (container.ports ?? []).map((p) => p.containerPort),
      readiness: probe(container.readinessProbe),
      liveness: probe(container.livenessProbe),
      scrape: scrape(object.spec.template),
      mounts: mountsOf(objects, pod, container),
      grace_seconds: pod.terminationGracePeriodSeconds ?? 30,
      service: objects.find((o) => o.kind === "Service")?.metadata.name ?? "",
    };
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(pods(render(process.argv[2])), null, 1));
}
