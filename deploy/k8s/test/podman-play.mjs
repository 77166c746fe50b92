// Turns a rendered overlay into what `podman kube play --network=host` can
// run (podman 4.3, see ../README.md): the test overlay of the manifests.
//  - StatefulSet -> Deployment + PersistentVolumeClaim (podman skips StatefulSets)
//  - Secret -> ConfigMap, secret volumes -> configMap volumes (secret volumes crash podman)
//  - Service, Job, HPA, PDB, NetworkPolicy, Namespace, ServiceAccount dropped:
//    podman skips them silently; the Service's name becomes 127.0.0.1 in the
//    ConfigMap, and the test makes the probes itself
//  - one host port per pod (host network): the coordinator on PORT, the
//    worker's health endpoint on PORT+1; no containerPorts (podman refuses
//    port mappings on the host network)
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

function renamePod(pod, names, port) {
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
    c.args = c.args.map((a) => a.replace("0.0.0.0:7070", `127.0.0.1:${port}`)
                                .replace("0.0.0.0:7071", `127.0.0.1:${port + 1}`));
    delete c.ports;  // host network: podman refuses port mappings there
    for (const probe of [c.readinessProbe, c.livenessProbe]) {
      if (probe?.grpc) probe.grpc.port += port - 7070;
    }
  }
}

export function playable(objects, run, port) {
  const names = (name) => `${name}-${run}`;
  const out = [];
  for (const o of objects) {
    if (DROPPED.has(o.kind)) continue;
    delete o.metadata.namespace;
    o.metadata.name = names(o.metadata.name);
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
    if (o.kind === "Deployment") renamePod(podSpec(o), names, port);
    out.push(o);
  }
  for (const o of out.filter((o) => o.kind === "Deployment")) {
    for (const c of podSpec(o).containers) {
      const env = envOf(out, `${o.metadata.name}-pod-0`, c);
      c.args = c.args.map((a) => expand(a, env));
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
