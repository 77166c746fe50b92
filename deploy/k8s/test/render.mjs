// Renders a kustomize overlay with kubectl and parses every object.
import { execFileSync } from "node:child_process";
import { parseAllDocuments } from "yaml";

export function render(dir) {
  const text = execFileSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
  return parseAllDocuments(text).map((doc) => {
    if (doc.errors.length) throw new Error(`${dir}: ${doc.errors[0].message}`);
    return doc.toJS();
  });
}

export const objectName = (o) => `${o.kind}/${o.metadata?.name}`;

// The pod spec of a workload, or null.
export function podSpec(o) {
  if (o.kind === "Pod") return o.spec;
  if (o.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template?.spec;
  return o.spec?.template?.spec ?? null;
}
