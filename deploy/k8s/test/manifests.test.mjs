// Every overlay renders, every object is valid Kubernetes with no unknown
// field, and passes the policy; and the checks themselves catch breakage.
//   cd deploy/k8s/test && npm ci && node --test
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { render, objectName } from "./render.mjs";
import { checkSchema } from "./schema.mjs";
import { policyFindings } from "./policy.mjs";
import { pods } from "./pods.mjs";
import { playable, HOST_PORTS } from "./podman-play.mjs";

const overlay = (name) => fileURLToPath(new URL(`../overlays/${name}`, import.meta.url));
const OVERLAYS = ["dev", "production", "monitoring", "study"];
const EXPECTED_KINDS = ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "Namespace",
  "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount", "StatefulSet"];
const EXTRA_KINDS = { monitoring: ["ServiceMonitor"] };
const ABSENT_KINDS = { study: ["HorizontalPodAutoscaler"] };

for (const name of OVERLAYS) {
  test(`${name}: renders with every expected kind`, () => {
    const kinds = new Set(render(overlay(name)).map((o) => o.kind));
    const absent = ABSENT_KINDS[name] ?? [];
    for (const kind of [...EXPECTED_KINDS, ...(EXTRA_KINDS[name] ?? [])]) {
      if (!absent.includes(kind)) assert.ok(kinds.has(kind), `${kind} missing`);
    }
    for (const kind of absent) assert.ok(!kinds.has(kind), `${kind} present`);
  });

  test(`${name}: every object matches the schema, no unknown fields`, async () => {
    for (const object of render(overlay(name))) {
      assert.deepEqual(await checkSchema(object), [], objectName(object));
    }
  });

  test(`${name}: policy (resources, probes, non-root, read-only root, drain, http port, ` +
       `scraping, network)`, () => {
    assert.deepEqual(policyFindings(render(overlay(name))), []);
  });
}

test("production: anti-affinity and more workers than dev", () => {
  const worker = (n) => render(overlay(n)).find((o) => o.kind === "Deployment");
  assert.ok(worker("production").spec.template.spec.affinity.podAntiAffinity);
  assert.ok(worker("production").spec.replicas > worker("dev").spec.replicas);
});

test("study: production's workers, and no autoscaler to change them mid-study", () => {
  const objects = render(overlay("study"));
  const worker = (list) => list.find((o) => o.kind === "Deployment");
  assert.equal(objects.filter((o) => o.kind === "HorizontalPodAutoscaler").length, 0);
  assert.deepEqual(worker(objects).spec, worker(render(overlay("production"))).spec);
});

test("dev: worker slots come from its CPU limit", () => {
  const argv = pods(render(overlay("dev"))).worker.argv;
  assert.ok(argv.includes("--slots=1"), argv.join(" "));
});

function broken(change) {
  const objects = render(overlay("dev"));
  change(objects.find((o) => o.kind === "Deployment").spec.template.spec);
  return policyFindings(objects).join("\n");
}

test("policy catches a container without resources, probes or non-root", () => {
  assert.match(broken((pod) => delete pod.containers[0].resources.limits),
               /no limits.cpu/);
  assert.match(broken((pod) => delete pod.containers[0].livenessProbe), /no livenessProbe/);
  assert.match(broken((pod) => { pod.securityContext.runAsNonRoot = false; }),
               /runAsNonRoot is not true/);
  assert.match(broken((pod) => { pod.containers[0].securityContext.readOnlyRootFilesystem = false; }),
               /root filesystem is writable/);
  assert.match(broken((pod) => { pod.terminationGracePeriodSeconds = 10; }),
               /terminationGracePeriodSeconds 10 <= DRAIN_TIMEOUT 30/);
});

test("schema check catches wrong types and misspelled fields", async () => {
  const worker = render(overlay("dev")).find((o) => o.kind === "Deployment");
  worker.spec.template.spec.containers[0].resouces = {};
  assert.deepEqual(await checkSchema(worker),
                   ["/spec/template/spec/containers/0/resouces: unknown field"]);
  worker.spec.replicas = "two";
  assert.match((await checkSchema(worker)).join(), /replicas must be integer/);
});

// ---- The HTTP port, scraping, the monitoring overlay ----

const find = (objects, kind, name) =>
  objects.find((o) => o.kind === kind && (!name || o.metadata.name === name));
// The policy findings of an overlay after `change(objects)`.
function findings(name, change) {
  const objects = render(overlay(name));
  change(objects);
  return policyFindings(objects).join("\n");
}
const container = (objects, kind) => find(objects, kind).spec.template.spec.containers[0];

test("monitoring: production plus a headless worker Service and a ServiceMonitor", () => {
  const key = (o) => `${o.kind}/${o.metadata.name}`;
  const production = new Map(render(overlay("production")).map((o) => [key(o), o]));
  const monitoring = render(overlay("monitoring"));
  const added = monitoring.filter((o) => !production.has(key(o))).map(key).sort();
  assert.deepEqual(added, ["Service/tminus-worker-metrics", "ServiceMonitor/tminus"]);
  for (const o of monitoring.filter((o) => production.has(key(o)))) {
    assert.deepEqual(o, production.get(key(o)), key(o));
  }
  assert.equal(find(monitoring, "Service", "tminus-worker-metrics").spec.clusterIP, "None");
  const endpoint = find(monitoring, "ServiceMonitor").spec.endpoints[0];
  assert.deepEqual(endpoint.bearerTokenSecret, { name: "tminus-tokens", key: "client" });
});

test("dev: both daemons serve HTTP on their annotated port, the worker's /metrics takes the client token", () => {
  const { coordinator, worker } = pods(render(overlay("dev")));
  assert.ok(coordinator.argv.includes("--http-listen=0.0.0.0:7071"), coordinator.argv.join(" "));
  assert.ok(worker.argv.includes("--http-listen=0.0.0.0:7072"), worker.argv.join(" "));
  assert.ok(worker.argv.includes("--health-listen=0.0.0.0:7071"), worker.argv.join(" "));
  assert.deepEqual([coordinator.scrape, worker.scrape],
                   [{ port: 7071, path: "/metrics" }, { port: 7072, path: "/metrics" }]);
  const tokens = worker.mounts.find((m) => m.path === "/etc/tminus/tokens").files;
  assert.equal(tokens.client, coordinator.mounts.find((m) => m.name === "tokens").files.client);
});

test("podman test overlay: one host port for each listening port, none shared", () => {
  const played = playable(render(overlay("dev")), "t", 30000);
  const listening = played.filter((o) => o.kind === "Deployment").flatMap((o) =>
    o.spec.template.spec.containers[0].args.filter((a) => /-listen=/.test(a)));
  assert.deepEqual(listening.sort(), ["--health-listen=127.0.0.1:30001",
    "--http-listen=127.0.0.1:30002", "--http-listen=127.0.0.1:30003", "--listen=127.0.0.1:30000"]);
  const offsets = Object.values(HOST_PORTS).flatMap((ports) => Object.values(ports));
  assert.equal(new Set(offsets).size, offsets.length);
  const objects = render(overlay("dev"));
  container(objects, "StatefulSet").ports.push({ name: "extra", containerPort: 7079 });
  assert.throws(() => playable(objects, "t", 30000), /container port 7079/);
  const two = render(overlay("dev"));
  find(two, "Deployment").spec.replicas = 2;
  assert.throws(() => playable(two, "t", 30000), /2 replicas would share host ports/);
});

test("policy catches an HTTP port that is not declared, not listened on or loopback only", () => {
  assert.match(findings("dev", (o) => {
    const c = container(o, "Deployment");
    c.ports = c.ports.filter((p) => p.name !== "http");
  }), /Deployment\/tminus-worker container worker: no container port named http/);
  assert.match(findings("dev", (o) => {
    const c = container(o, "StatefulSet");
    c.args = c.args.filter((a) => !a.startsWith("--http-listen"));
  }), /StatefulSet\/tminus-coordinator container coordinator: no --http-listen/);
  assert.match(findings("dev", (o) => {
    const c = container(o, "StatefulSet");
    c.args = c.args.map((a) => a.replace("--http-listen=0.0.0.0:", "--http-listen=127.0.0.1:"));
  }), /--http-listen 127.0.0.1:7071 is on loopback/);
  assert.match(findings("dev", (o) => {
    const c = container(o, "Deployment");
    c.args = c.args.map((a) => a.replace("--http-listen=0.0.0.0:7072", "--http-listen=0.0.0.0:7073"));
  }), /container port http is 7072, --http-listen is on 7073/);
});

test("policy catches a coordinator Service without the http port, or a port leading nowhere", () => {
  assert.match(findings("dev", (o) => {
    const service = find(o, "Service", "tminus-coordinator");
    service.spec.ports = service.spec.ports.filter((p) => p.name !== "http");
  }), /Service\/tminus-coordinator: no port for the coordinator's http port/);
  assert.match(findings("dev", (o) => {
    find(o, "Service", "tminus-coordinator").spec.ports[1].targetPort = "htp";
  }), /Service\/tminus-coordinator port http: targetPort htp is not declared by StatefulSet/);
});

test("policy catches prometheus annotations on an undeclared or wrong port, or a wrong path", () => {
  const annotations = (o, kind) => find(o, kind).spec.template.metadata.annotations;
  assert.match(findings("dev", (o) => { annotations(o, "Deployment")["prometheus.io/port"] = "9090"; }),
               /Deployment\/tminus-worker pod template: prometheus.io\/port 9090 is not a port of/);
  assert.match(findings("dev", (o) => { annotations(o, "Deployment")["prometheus.io/port"] = "7071"; }),
               /prometheus.io\/port 7071 is port health of Deployment\/tminus-worker, not http/);
  assert.match(findings("dev", (o) => { annotations(o, "StatefulSet")["prometheus.io/path"] = "/metric"; }),
               /StatefulSet\/tminus-coordinator pod template: prometheus.io\/path \/metric is not \/metrics/);
  assert.match(findings("dev", (o) => { delete annotations(o, "StatefulSet")["prometheus.io/scrape"]; }),
               /StatefulSet\/tminus-coordinator pod template: no prometheus.io\/scrape/);
  assert.match(findings("dev", (o) => {
    find(o, "Service", "tminus-coordinator").metadata.annotations =
      { "prometheus.io/scrape": "true", "prometheus.io/port": "7070" };
  }), /Service\/tminus-coordinator: prometheus.io\/port 7070 is port grpc of StatefulSet/);
});

test("policy catches a ServiceMonitor endpoint on a port the Services lack, or a wrong token", () => {
  const endpoint = (o) => find(o, "ServiceMonitor").spec.endpoints[0];
  const wrongPort = findings("monitoring", (o) => { endpoint(o).port = "metrics"; });
  assert.match(wrongPort, /ServiceMonitor\/tminus endpoint 0: Service\/tminus-coordinator declares no port metrics/);
  assert.match(wrongPort, /Service\/tminus-worker-metrics declares no port metrics/);
  assert.match(wrongPort, /StatefulSet\/tminus-coordinator: no ServiceMonitor scrapes it/);
  assert.match(findings("monitoring", (o) => {
    find(o, "Service", "tminus-worker-metrics").spec.ports[0].targetPort = "health";
  }), /Service\/tminus-worker-metrics port http leads to Deployment\/tminus-worker port health, not http/);
  assert.match(findings("monitoring", (o) => {
    o.splice(o.indexOf(find(o, "Service", "tminus-worker-metrics")), 1);
  }), /Deployment\/tminus-worker: no ServiceMonitor scrapes it/);
  assert.match(findings("monitoring", (o) => { endpoint(o).bearerTokenSecret.key = "worker"; }),
               /sends the token tminus-tokens\/worker, StatefulSet\/tminus-coordinator's \/metrics takes tminus-tokens\/client/);
  assert.match(findings("monitoring", (o) => { delete endpoint(o).bearerTokenSecret; }),
               /endpoint 0: no bearer token, but Deployment\/tminus-worker's \/metrics takes tminus-tokens\/client/);
  assert.match(findings("monitoring", (o) => { endpoint(o).path = "/api/v1/cluster"; }),
               /endpoint 0: path \/api\/v1\/cluster is not \/metrics/);
  assert.match(findings("monitoring", (o) => {
    find(o, "ServiceMonitor").spec.selector.matchLabels["app.kubernetes.io/part-of"] = "other";
  }), /ServiceMonitor\/tminus: selects no Service/);
});

test("policy catches a NetworkPolicy that keeps the scraper or clients out, or lets anyone in", () => {
  const policy = (o, name) => find(o, "NetworkPolicy", name).spec;
  assert.match(findings("dev", (o) => { policy(o, "tminus-coordinator").ingress.pop(); }),
               /a scraper \(tminus.io\/scraper=true, namespace monitoring\) cannot reach StatefulSet\/tminus-coordinator on http \(7071\)/);
  assert.match(findings("dev", (o) => { policy(o, "tminus-worker").ingress[0].ports[0].port = 7071; }),
               /cannot reach Deployment\/tminus-worker on http \(7072\)/);
  // What kustomize's common labels do to a matchLabels selector: the scraper
  // would need app.kubernetes.io/name=tminus too.
  assert.match(findings("dev", (o) => {
    policy(o, "tminus-coordinator").ingress[1].from[1].podSelector = { matchLabels:
      { "tminus.io/scraper": "true", "app.kubernetes.io/name": "tminus" } };
  }), /scraper .* cannot reach StatefulSet\/tminus-coordinator on http/);
  // Without the namespaceSelector the rule means "in the tminus namespace".
  assert.match(findings("dev", (o) => { delete policy(o, "tminus-worker").ingress[0].from[0].namespaceSelector; }),
               /scraper .* cannot reach Deployment\/tminus-worker/);
  assert.match(findings("dev", (o) => { policy(o, "tminus-coordinator").ingress[0].from.pop(); }),
               /pods labelled \{"tminus.io\/client":"true"\} cannot reach StatefulSet\/tminus-coordinator on grpc \(7070\)/);
  const open = findings("dev", (o) => { o.splice(o.indexOf(find(o, "NetworkPolicy", "tminus-worker")), 1); });
  assert.match(open, /any pod reaches Deployment\/tminus-worker on health \(7071\)/);
  assert.match(open, /any pod reaches Deployment\/tminus-worker on http \(7072\)/);
});

test("policy catches a token file that is not mounted or not in the Secret", () => {
  assert.match(findings("dev", (o) => {
    container(o, "Deployment").volumeMounts = container(o, "Deployment").volumeMounts
      .filter((m) => m.name !== "tokens");
  }), /Deployment\/tminus-worker container worker: --metrics-token-file \/etc\/tminus\/tokens\/client is not on a mounted volume/);
  assert.match(findings("dev", (o) => {
    find(o, "Deployment").spec.template.spec.volumes[0].secret.items = [{ key: "worker", path: "worker" }];
  }), /--metrics-token-file \/etc\/tminus\/tokens\/client is not among the items of Secret tminus-tokens/);
  assert.match(findings("dev", (o) => { delete find(o, "Secret").data.client; }),
               /--client-token-file \/etc\/tminus\/tokens\/client: Secret tminus-tokens has no key client/);
});

test("ServiceMonitor schema check catches misspelled fields, wrong types and bad values", async () => {
  const monitor = () => structuredClone(find(render(overlay("monitoring")), "ServiceMonitor"));
  let broken = monitor();
  broken.spec.endpoints[0].bearerTokenSecre = broken.spec.endpoints[0].bearerTokenSecret;
  delete broken.spec.endpoints[0].bearerTokenSecret;
  assert.deepEqual(await checkSchema(broken), ["/spec/endpoints/0/bearerTokenSecre: unknown field"]);
  broken = monitor();
  broken.spec.selector.matchLabel = {};
  broken.metadata.label = {};
  assert.deepEqual((await checkSchema(broken)).sort(), ["/metadata/label: unknown field",
                                                        "/spec/selector/matchLabel: unknown field"]);
  broken = monitor();
  broken.spec.endpoints[0].interval = 15;
  broken.spec.endpoints[0].scrapeTimeout = "10 s";
  broken.spec.endpoints[0].scheme = "tcp";
  broken.spec.endpoints[0].bearerTokenSecret = { name: "tminus-tokens" };
  assert.deepEqual((await checkSchema(broken)).sort(), [
    "/spec/endpoints/0/bearerTokenSecret must have required property 'key'",
    "/spec/endpoints/0/interval must be string",
    "/spec/endpoints/0/scheme must be one of http, https, HTTP, HTTPS",
    "/spec/endpoints/0/scrapeTimeout must match ^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
  ]);
  broken = monitor();
  delete broken.spec.selector;
  broken.spec.endpoints[0].authorization = { credentials: { name: "tminus-tokens", key: "client" } };
  assert.deepEqual(await checkSchema(broken), ["/spec must have required property 'selector'",
    "/spec/endpoints/0: bearerTokenSecret and authorization are exclusive"]);
  broken = monitor();
  broken.apiVersion = "monitoring.coreos.com/v2";  // no schema here nor in kubernetes-models
  assert.equal((await checkSchema(broken)).length, 1);
});
