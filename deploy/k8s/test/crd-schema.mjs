// Strict checks of the custom resources the overlays use, which the schema
// package (kubernetes-models) does not know. Each schema is the part of the
// real CRD's openAPIV3Schema that tminus uses, with the CRD's own field names,
// types, enums and patterns; a field outside it is reported as unknown, like
// a misspelling (the API server would prune it silently, or refuse it with
// strict field validation). To use another field, copy it from the CRD.
//   ServiceMonitor: prometheus-operator v0.93.0,
//   example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml

const string = { type: "string" };
const boolean = { type: "boolean" };
const strings = { type: "array", items: string };
const stringMap = { type: "object", values: string };
const count = { type: "integer", minimum: 0 };
// The CRD's Duration pattern (interval, scrapeTimeout).
const duration = {
  type: "string",
  pattern: "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
};
const secretKeySelector = {
  type: "object", required: ["key"],
  properties: { name: string, key: string, optional: boolean },
};
const labelSelector = {
  type: "object",
  properties: {
    matchLabels: stringMap,
    matchExpressions: {
      type: "array",
      items: {
        type: "object", required: ["key", "operator"],
        properties: { key: string, operator: string, values: strings },
      },
    },
  },
};
const relabelings = {
  type: "array",
  items: {
    type: "object",
    properties: {
      action: {
        type: "string",
        enum: ["replace", "Replace", "keep", "Keep", "drop", "Drop", "hashmod", "HashMod",
               "labelmap", "LabelMap", "labeldrop", "LabelDrop", "labelkeep", "LabelKeep",
               "lowercase", "Lowercase", "uppercase", "Uppercase", "keepequal", "KeepEqual",
               "dropequal", "DropEqual"],
      },
      modulus: count, regex: string, replacement: string, separator: string,
      sourceLabels: strings, targetLabel: string,
    },
  },
};
// ObjectMeta as far as a manifest in this repository sets it (the CRD leaves
// metadata to the API server).
const objectMeta = {
  type: "object", required: ["name"],
  properties: { name: string, namespace: string, labels: stringMap, annotations: stringMap },
};

const serviceMonitor = {
  type: "object", required: ["apiVersion", "kind", "metadata", "spec"],
  properties: {
    apiVersion: string, kind: string, metadata: objectMeta,
    spec: {
      type: "object", required: ["endpoints", "selector"],
      properties: {
        jobLabel: string,
        targetLabels: strings,
        podTargetLabels: strings,
        sampleLimit: count,
        selector: labelSelector,
        namespaceSelector: { type: "object", properties: { any: boolean, matchNames: strings } },
        endpoints: {
          type: "array",
          items: {
            type: "object",
            properties: {
              port: string,
              targetPort: { intOrString: true },
              path: string,
              scheme: { type: "string", enum: ["http", "https", "HTTP", "HTTPS"] },
              interval: duration,
              scrapeTimeout: duration,
              honorLabels: boolean,
              // Deprecated in the CRD in favour of authorization; both work.
              bearerTokenSecret: secretKeySelector,
              authorization: {
                type: "object",
                properties: { type: string, credentials: secretKeySelector },
              },
              relabelings,
              metricRelabelings: relabelings,
            },
          },
        },
      },
    },
  },
};

export const CRD_SCHEMAS = { "monitoring.coreos.com/v1/ServiceMonitor": serviceMonitor };

function typeOf(value) {
  if (Array.isArray(value)) return "array";
  if (Number.isInteger(value)) return "integer";
  return value === null ? "null" : typeof value;
}

function check(schema, value, path, found) {
  const at = path || "/";
  if (schema.intOrString) {
    if (!["integer", "string"].includes(typeOf(value))) found.push(`${at} must be integer or string`);
    return;
  }
  if (typeOf(value) !== schema.type) {
    found.push(`${at} must be ${schema.type}`);
    return;
  }
  if (schema.enum && !schema.enum.includes(value)) {
    found.push(`${at} must be one of ${schema.enum.join(", ")}`);
  }
  if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
    found.push(`${at} must match ${schema.pattern}`);
  }
  if (schema.minimum !== undefined && value < schema.minimum) {
    found.push(`${at} must be >= ${schema.minimum}`);
  }
  if (schema.items) value.forEach((item, i) => check(schema.items, item, `${path}/${i}`, found));
  if (schema.type !== "object") return;
  for (const key of schema.required ?? []) {
    if (!(key in value)) found.push(`${at} must have required property '${key}'`);
  }
  for (const [key, child] of Object.entries(value)) {
    const field = schema.values ?? schema.properties?.[key];
    if (field) check(field, child, `${path}/${key}`, found);
    else found.push(`${path}/${key}: unknown field`);
  }
}

// Rules the CRD states in prose and the operator enforces.
function serviceMonitorRules(object) {
  return (object.spec?.endpoints ?? []).flatMap((e, i) =>
    e.bearerTokenSecret && e.authorization
      ? [`/spec/endpoints/${i}: bearerTokenSecret and authorization are exclusive`] : []);
}

// Problems with one custom resource, or null when no schema here knows it.
export function checkCustomResource(object) {
  const schema = CRD_SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (!schema) return null;
  const found = [];
  check(schema, object, "", found);
  if (object.kind === "ServiceMonitor") found.push(...serviceMonitorRules(object));
  return found;
}
