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

const overlay = (name) => fileURLToPath(new URL(`../overlays/${name}`, import.meta.url));
const OVERLAYS = ["dev", "production"];
const EXPECTED_KINDS = ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "Namespace",
  "NetworkPolicy", "PodDisruptionBudget", "Service", "ServiceAccount", "StatefulSet"];

for (const name of OVERLAYS) {
  test(`${name}: renders with every expected kind`, () => {
    const kinds = new Set(render(overlay(name)).map((o) => o.kind));
    for (const kind of EXPECTED_KINDS) assert.ok(kinds.has(kind), `${kind} missing`);
  });

  test(`${name}: every object matches the schema, no unknown fields`, async () => {
    for (const object of render(overlay(name))) {
      assert.deepEqual(await checkSchema(object), [], objectName(object));
    }
  });

  test(`${name}: policy (resources, probes, non-root, read-only root, drain)`, () => {
    assert.deepEqual(policyFindings(render(overlay(name))), []);
  });
}

test("production: anti-affinity and more workers than dev", () => {
  const worker = (n) => render(overlay(n)).find((o) => o.kind === "Deployment");
  assert.ok(worker("production").spec.template.spec.affinity.podAntiAffinity);
  assert.ok(worker("production").spec.replicas > worker("dev").spec.replicas);
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
