// A start event's generated form (camunda:formData) read from the deployed model's XML,
// and the values a submit-form request sends for it. No rendering here.

const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";
// The server reads Activiti's extension namespace as Camunda's; so does the page.
const CAMUNDA = new Set(["http://camunda.org/schema/1.0/bpmn", "http://activiti.org/bpmn"]);

const camundaChild = (element, name) =>
  [...element.children].find((child) => CAMUNDA.has(child.namespaceURI) && child.localName === name);
const camundaChildren = (element, name) =>
  element ? [...element.children].filter((child) => CAMUNDA.has(child.namespaceURI) && child.localName === name) : [];
const camundaAttribute = (element, name) =>
  [...CAMUNDA].map((namespace) => element.getAttributeNS(namespace, name)).find((value) => value !== null) ?? null;

function readField(element) {
  const validation = camundaChild(element, "validation");
  return {
    id: element.getAttribute("id"),
    label: element.getAttribute("label") || element.getAttribute("id"),
    type: element.getAttribute("type") || "string",
    datePattern: element.getAttribute("datePattern") || "dd/MM/yyyy",
    defaultValue: element.getAttribute("defaultValue"),
    options: camundaChildren(element, "value").map((value) => ({
      id: value.getAttribute("id"),
      name: value.getAttribute("name") || value.getAttribute("id"),
    })),
    constraints: camundaChildren(validation, "constraint").map((constraint) => ({
      name: constraint.getAttribute("name"),
      config: constraint.getAttribute("config"),
    })),
  };
}

/**
 * The generated start form of process ``processKey`` in the BPMN ``xml``: its fields and
 * the id of the field that is the business key, or null when its start event has none.
 */
export function readStartForm(xml, processKey) {
  const model = new DOMParser().parseFromString(xml, "application/xml");
  const process = [...model.getElementsByTagNameNS(BPMN, "process")].find(
    (element) => element.getAttribute("id") === processKey,
  );
  if (!process) return null;
  for (const start of process.children) {
    if (start.namespaceURI !== BPMN || start.localName !== "startEvent") continue;
    const extensions = [...start.children].find((child) => child.localName === "extensionElements");
    const formData = extensions && camundaChild(extensions, "formData");
    if (formData) {
      return {
        businessKeyField: formData.getAttribute("businessKey"),
        fields: camundaChildren(formData, "formField").map(readField),
      };
    }
  }
  return null;
}

/** Whether a field is one whose value the server refuses to take. */
export const isReadOnly = (field) => field.constraints.some((constraint) => constraint.name === "readonly");

const CONSTRAINT_TEXT = {
  required: () => "required",
  readonly: () => "read-only",
  minlength: (config) => `at least ${config} characters`,
  maxlength: (config) => `at most ${config} characters`,
  min: (config) => `at least ${config}`,
  max: (config) => `less than ${config}`, // Camunda's max is strict
  validator: (config) => `checked by ${config}`,
};

/** What people should know of a field of ``form``: "required, at least 1". */
export function describeField(field, form) {
  const parts = field.constraints.map(({ name, config }) => (CONSTRAINT_TEXT[name] || (() => name))(config));
  if (field.type === "date") parts.push(`as ${field.datePattern}`);
  if (field.id === form.businessKeyField) parts.push("the instance's business key");
  return parts.join(", ");
}

/** What the input shows first: the value form-variables gives, as text (a checkbox: a boolean). */
export function initialValue(field, formVariables) {
  const value = formVariables[field.id]?.value;
  if (field.type === "boolean") return value === true;
  return value === null || value === undefined ? "" : String(value);
}

const WHOLE_NUMBER = /^-?\d+$/;

/** One field's typed value for submit-form, or undefined to leave the field out. */
function typedValue(field, value) {
  if (field.type === "boolean") return { value, type: "Boolean" };
  if (value === "") return undefined; // not submitted: the server applies the default and `required`
  // Text that is no whole number goes as typed: the server's message says what is wrong.
  if (field.type === "long") {
    const number = Number(value);
    return { value: WHOLE_NUMBER.test(value) && Number.isSafeInteger(number) ? number : value, type: "Long" };
  }
  return { value, type: "String" };
}

/**
 * The body of ``POST /process-definition/{id}/submit-form`` from the values typed
 * (``values``: field id -> text or boolean): each field's typed value, the business key.
 */
export function submission(form, values, businessKey) {
  const variables = {};
  for (const field of form?.fields || []) {
    if (field.id === form.businessKeyField || isReadOnly(field)) continue;
    const typed = typedValue(field, values[field.id]);
    if (typed) variables[field.id] = typed;
  }
  const key = form?.businessKeyField ? values[form.businessKeyField] : businessKey;
  return { variables, businessKey: key || undefined };
}

/** The id of the field a server message names ("... form field 'amount': ..."), or null. */
export function fieldNamedIn(message, form) {
  const named = /form field '([^']*)'/.exec(message || "")?.[1];
  return form?.fields.some((field) => field.id === named) ? named : null;
}
