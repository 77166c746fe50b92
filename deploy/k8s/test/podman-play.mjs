// Turns a rendered overlay into what `podman kube play --network=host` can
// run (podman 4.3, see ../README.md): the test overlay of the manifests.
//  - StatefulSet -> Deployment + PersistentVolumeClaim (podman skips StatefulSets)
//  - Secret -> ConfigMap, secret volumes -> configMap volumes (secret volumes crash podman)
//  - Service, Job, HPA, PDB, NetworkPolicy, Namespace, ServiceAccount dropped:
//    podman skips them silently; the Service's name becomes 127.0.0.1 in the
//    ConfigMap, and the test makes the probes itself
//  - one host port per listening port (host network), from PORT on: see
//    HOST_PORTS; no containerPorts (podman refuses port mappings on the host
//    network); a listening workload of more than one replica is refused
//  - $(VAR) in args expanded here, as the kubelet does (podman 4.3 does not)
//  - unique names per run, imagePullPolicy Never
// Any other kind is an error, and so is a kind podman would skip.
//   node podman-play.mjs OVERLAY_DIR RUN_ID PORT > play.yaml
import { stringify } from "yaml";
import { render, podSpec } from "./render.mjs";
import { envOf, expand } from "./pods.mjs";

const DROPPED = new Set(["Service", "Job", "HorizontalPodAutoscaler", "PodDisruptionBudget",
  "NetworkPolicy", "Namespace", "ServiceAccount"]);
export const PLAYABLE = new Set(["Deployment", "ConfigMap", "PersistentVolumeClaim"]);

// On the host network each port a pod listens on needs a host port of its
// own: PORT plus this offset, per workload and container port. The grpc
// ports keep PORT and PORT+1 (kube-play-test.sh probes them); a port not
// listed here is an error, never a clash.
export const HOST_PORTS = {
  "tminus-coordinator": { 7070: 0, 7071: 2 },  // grpc, http
  "tminus-worker": { 7071: 1, 7072: 3 },       // health (grpc probes), http
};

function renamePod(pod, names, port, workload) {
  const hostPort = (containerPort) => {
    const offset = HOST_PORTS[workload]?.[containerPort];
    if (offset === undefined) {
      throw new Error(`${workload}: no host port for container port ${containerPort} (HOST_PORTS)`);
    }
    return port + offset;
  };
  delete pod.serviceAccountName;
  for (const volume of pod.volumes ?? []) {
    if (volume.secret) {
      volume.configMap = { name: names(volume.secret.secretName), defaultMode: volume.secret.defaultMode };
      delete volume.secret;
    }
  }
  for (const c of pod.containers) {
    c.imagePullPolicy = "Never";
    for (const from of c.envFrom ?? []) from.configMapRef.name = names(from.configMapRef.name);
    c.args = c.args.map((a) => a.replace(/\b0\.0\.0\.0:(\d+)\b/g,
                                         (_, p) => `127.0.0.1:${hostPort(Number(p))}`));
    for (const p of c.ports ?? []) hostPort(p.containerPort);  // every declared port has one
    delete c.ports;  // host network: podman refuses port mappings there
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      if (probe?.grpc) probe.grpc.port = hostPort(probe.grpc.port);
    }
  }
}

export function playable(objects, run, port) {
  const names = (name) => `${name}-${run}`;
  const out = [];
  for (const o of objects) {
    if (DROPPED.has(o.kind)) continue;
    delete o.metadata.namespace;
    const workload = o.metadata.name;
    o.metadata.name = names(workload);
    if (o.kind === "Secret") {
      const data = Object.fromEntries(Object.entries(o.data ?? {}).map(
        ([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));
      out.push({ apiVersion: "v1", kind: "ConfigMap", metadata: o.metadata, data });
      continue;
    }
    if (o.kind === "ConfigMap" && o.data?.TMINUS_COORDINATOR) {
      // The Service's work: on the host network the coordinator is here
      // (podman's hostAliases do not reach a host-network pod's resolver).
      o.data.TMINUS_COORDINATOR = `127.0.0.1:${port}`;
    }
    if (o.kind === "StatefulSet") {
      for (const claim of o.spec.volumeClaimTemplates ?? []) {
        const claimName = names(claim.metadata.name);
        out.push({ apiVersion: "v1", kind: "PersistentVolumeClaim",
                   metadata: { name: claimName }, spec: claim.spec });
        o.spec.template.spec.volumes.push({ name: claim.metadata.name,
                                            persistentVolumeClaim: { claimName } });
      }
      delete o.spec.volumeClaimTemplates;
      delete o.spec.serviceName;
      o.kind = "Deployment";
    }
    if (o.kind === "Deployment") {
      if ((o.spec.replicas ?? 1) > 1 && workload in HOST_PORTS) {
        throw new Error(`${workload}: ${o.spec.replicas} replicas would share host ports`);
      }
      renamePod(podSpec(o), names, port, workload);
    }
    out.push(o);
  }
  for (const o of out.filter((o) => o.kind === "Deployment")) {
    for (const c of podSpec(o).containers) {
      const env = envOf(out, `${o.metadata.name}-pod-0`, c);
      c.args = c.args.map((a) => expand(a, env));
      // podman cannot fill spec.nodeName: every pod runs on this machine.
      c.env = (c.env ?? []).map((v) => v.valueFrom?.fieldRef?.fieldPath === "spec.nodeName"
        ? { name: v.name, value: env[v.name] } : v);
    }
  }
  for (const o of out) {
    if (!PLAYABLE.has(o.kind)) throw new Error(`${o.kind} would not be played by podman`);
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, run, port] = process.argv.slice(2);
  const objects = playable(render(dir), run, Number(port));
  process.stdout.write(objects.map((o) => stringify(o)).join("---\n"));
}
