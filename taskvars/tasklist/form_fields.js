// The fields of a user task's generated form, read from its model as Camunda's tasklist
// reads them: camunda:formData / camunda:formField, their values and constraints.
const BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL";
const CAMUNDA = "http://camunda.org/schema/1.0/bpmn";

function children(element, namespace, name) {
  return Array.from(element.children).filter((child) => child.namespaceURI === namespace && child.localName === name);
}

function readField(element) {
  const attribute = (name) => element.getAttribute(name);
  const [validation] = children(element, CAMUNDA, "validation");
  return {
    id: attribute("id"),
    label: attribute("label") || attribute("id"),
    type: attribute("type") || "string",
    datePattern: attribute("datePattern"),
    defaultValue: attribute("defaultValue"),
    values: children(element, CAMUNDA, "value").map((value) => ({
      id: value.getAttribute("id"),
      name: value.getAttribute("name") || value.getAttribute("id"),
    })),
    constraints: validation
      ? children(validation, CAMUNDA, "constraint").map((constraint) => ({
          name: constraint.getAttribute("name"),
          config: constraint.getAttribute("config"),
        }))
      : [],
  };
}

/** The form fields of the user task ``taskKey`` in the BPMN ``xml``; [] where it has none. */
export function formFields(xml, taskKey) {
  const model = new DOMParser().parseFromString(xml, "application/xml");
  const userTask = Array.from(model.getElementsByTagNameNS(BPMN, "userTask")).find(
    (element) => element.getAttribute("id") === taskKey,
  );
  const [extensions] = userTask ? children(userTask, BPMN, "extensionElements") : [];
  const [formData] = extensions ? children(extensions, CAMUNDA, "formData") : [];
  return formData ? children(formData, CAMUNDA, "formField").map(readField) : [];
}

const DESCRIPTIONS = {
  required: () => "Required",
  readonly: () => "Read only",
  min: (config) => `At least ${config}`,
  max: (config) => `Less than ${config}`, // Camunda's MaxValidator is strict
  minlength: (config) => `At least ${config} characters`,
  maxlength: (config) => `At most ${config} characters`,
};

/** A constraint as a person reads it: "At least 1". */
export function describeConstraint({ name, config }) {
  const describe = DESCRIPTIONS[name];
  return describe ? describe(config) : `Checked by ${config ? `${name} (${config})` : name}`;
}

/** Whether the field takes no input (its constraint "readonly"). */
export const isReadOnly = (field) => field.constraints.some((constraint) => constraint.name === "readonly");
