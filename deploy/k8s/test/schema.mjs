// Validates objects against the Kubernetes schema of kubernetes-models, and
// finds fields the schema does not know (misspellings pass `validate()`):
// the compiled validator reads every property its schema declares, so any
// key of the object that it never read is unknown. Custom resources
// (ServiceMonitor) are checked against crd-schema.mjs instead.
import { checkCustomResource } from "./crd-schema.mjs";

function schemaModule(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["core", apiVersion];
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  return `kubernetes-models/_schemas/IoK8sApi${cap(group.split(".")[0])}${cap(version)}${kind}`;
}

async function modelClass(apiVersion, kind) {
  const Model = (await import(`kubernetes-models/${apiVersion}`))[kind];
  if (!Model) throw new Error(`${apiVersion} ${kind}: no such kind in kubernetes-models`);
  return Model;
}

// A deep proxy recording which keys were read at which path.
function watch(value, path, reads) {
  if (value === null || typeof value !== "object") return value;
  const seen = new Set();
  reads.set(path, seen);
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === "string") seen.add(key);
      const child = Reflect.get(target, key, receiver);
      return typeof key === "string" ? watch(child, `${path}/${key}`, reads) : child;
    },
  });
}

function unknownFields(value, path, reads, found) {
  if (value === null || typeof value !== "object") return;
  const seen = reads.get(path);
  for (const key of Object.keys(value)) {
    if (seen && !seen.has(key)) found.push(`${path}/${key}`);
    else unknownFields(value[key], `${path}/${key}`, reads, found);
  }
}

// Problems with one object: schema errors and unknown fields.
export async function checkSchema(object) {
  const custom = checkCustomResource(object);
  if (custom) return custom;
  const { apiVersion, kind } = object;
  let validate;
  try {
    validate = (await import(schemaModule(apiVersion, kind))).validate;
    const Model = await modelClass(apiVersion, kind);
    new Model(object).validate();
  } catch (error) {
    return [`${error.message}`.split("\n")[0]];
  }
  const reads = new Map();
  if (!validate(watch(object, "", reads))) {
    return validate.errors.map((e) => `${e.instancePath} ${e.message ?? e.keyword}`);
  }
  const found = [];
  unknownFields(object, "", reads, found);
  return found.map((path) => `${path}: unknown field`);
}
