#!/usr/bin/env node
// Checks the APL screens the skill sends with Amazon's validator, apl-suggester, and with the rules it
// lacks for a waiting-room screen, at every viewport profile the skill declares.
//
//   node tools/alexa/apl_check.js < screens.json
//
// stdin: {"screens": [{"name": "...", "document": {...}, "datasources": {...}}, ...]}
// stdout: {"checked": N, "profiles": [{name, width, height, shape, mode, dpi}], "failures": [{screen, source, rule, profile, path, message}]}
// Exit 0 when nothing failed, 1 when anything did, 2 when the input is unusable.
//
// apl-suggester reports through two channels: the warnings `validate()` returns, and errors sent to the
// ErrorController's interface (an unknown component type, for one, reaches only that channel), so both
// are collected. Our rules (source "rule"), each evaluated with the screen's own datasources at every
// profile, resolving `when`, resources and data bindings as a device would:
//   sized-scrollable   a Sequence, GridSequence or ScrollView states its width and height (APL gives 100dp)
//   touchable-label    every touchable has an accessibilityLabel and a role, and no two share a label
//   touch-target       every touchable is at least 48 x 48 dp
//   text-size          no text is smaller than 24 dp
//   contrast           text against what is behind it is at least 7:1 (WCAG AAA)
//   bindings-resolve   every ${...} evaluates to a value
//   resources-exist    every @name is a resource at that profile
//   whole-lines        a ScrollView is a whole number of its texts' lines tall, so no line is cut in half
//                      (plus 1dp per Text: apl-core rounds a Text's measured height up)
"use strict";

const suggester = require("apl-suggester");
const { readStdinJson } = require("./stdin_json");

// Alexa's viewport profiles for hubs (alexa-viewport-profiles), in dp. TV is not declared in the manifest.
const PROFILES = [
  { name: "hubRoundSmall", width: 480, height: 480, shape: "round", mode: "hub", dpi: 160 },
  { name: "hubLandscapeSmall", width: 960, height: 480, shape: "rectangle", mode: "hub", dpi: 160 },
  { name: "hubLandscapeMedium", width: 960, height: 600, shape: "rectangle", mode: "hub", dpi: 160 },
  { name: "hubLandscapeLarge", width: 1280, height: 800, shape: "rectangle", mode: "hub", dpi: 160 },
  { name: "hubLandscapeXLarge", width: 1920, height: 1080, shape: "rectangle", mode: "hub", dpi: 160 },
];
const MIN_TOUCH_DP = 48;
const MIN_TEXT_DP = 24;
const MIN_CONTRAST = 7;
const TOUCHABLES = new Set(["TouchWrapper", "VectorGraphic"]);
const SCROLLABLES = new Set(["Sequence", "GridSequence", "ScrollView"]);
const ROLES = new Set(["button", "link", "checkbox", "radio", "switch", "tab", "menuitem", "imagebutton"]);
const DEFAULT_TEXT_DP = 40;
const DEFAULT_LINE_HEIGHT = 1.25;
const THEME_BACKGROUND = { dark: "#000000", light: "#FFFFFF" };

// ---- apl-suggester, both channels --------------------------------------------------------------------

const sideChannel = [];
const errorController = suggester.ErrorController.getInstance();
errorController.registerErrors();
errorController.setErrorInterface({ sendError: (error) => sideChannel.push(JSON.parse(JSON.stringify(error))) });

async function suggest(document, datasources) {
  sideChannel.length = 0;
  errorController.clearExistingWarn();
  const validator = new suggester.StaticAplTemplateValidator();
  const warnings = [...(await validator.validate(document)), ...(await validator.validateDataSources(datasources))];
  const found = warnings.map((w) => ({
    source: "apl-suggester",
    rule: w.level || "WARNING",
    path: w.path,
    message: w.errorMessage,
  }));
  for (const error of sideChannel) {
    const placeholders = error.placeholders || {};
    found.push({
      source: "apl-suggester-errors",
      rule: `${error.level} ${error.code}`,
      path: placeholders.path || "",
      message: `${error.type} error ${error.code} ${JSON.stringify(placeholders)}`,
    });
  }
  return found;
}

// ---- evaluating APL values as a device would -------------------------------------------------------

class Unresolved extends Error {}

function resourcesFor(document, profile) {
  const merged = {};
  for (const block of document.resources || []) {
    if (block.when !== undefined && !truthy(evaluate(block.when, { viewport: profile, resources: {} }, []))) {
      continue;
    }
    for (const kind of ["numbers", "dimensions", "colors", "strings", "booleans", "easing", "gradients"]) {
      Object.assign(merged, block[kind] || {});
    }
  }
  return merged;
}

function truthy(value) {
  return !(value === false || value === 0 || value === "" || value === null || value === undefined);
}

// A proxy that throws on a missing member, so `${payload.answer.nope}` is reported, not silently "".
function strict(value, path) {
  if (value === null || typeof value !== "object") return value;
  return new Proxy(value, {
    get(target, key) {
      if (typeof key === "symbol" || key === "toJSON") return target[key];
      if (Array.isArray(target) && key === "length") return target.length;
      if (!(key in target)) throw new Unresolved(`${path}.${String(key)} does not exist`);
      return strict(target[key], `${path}.${String(key)}`);
    },
  });
}

// `event` is only known when a command runs: any member is allowed and is a plain value.
const EVENT = new Proxy({}, { get: (_t, key) => (key === Symbol.toPrimitive ? () => 1 : EVENT) });

function evaluateExpression(expression, scope, problems) {
  const names = [];
  const code = expression.replace(/@([A-Za-z_][\w]*)/g, (_m, name) => {
    names.push(name);
    return `__resource(${JSON.stringify(name)})`;
  });
  const resource = (name) => {
    if (!(name in scope.resources)) {
      problems.push({ rule: "resources-exist", message: `@${name} is not a resource at this viewport` });
      throw new Unresolved(`@${name}`);
    }
    return scope.resources[name];
  };
  const number = (v) => (typeof v === "string" && /^-?[\d.]+(dp)?$/.test(v) ? parseFloat(v) : v);
  const fn = new Function("viewport", "payload", "data", "index", "event", "__resource", `return (${code});`);
  return fn(
    scope.viewport,
    strict(scope.payload, "payload"),
    strict(scope.data, "data"),
    scope.index,
    EVENT,
    (name) => number(resource(name)),
  );
}

// Evaluates "${...}" bindings inside a string, and "@name" as a whole value.
function evaluate(value, scope, problems) {
  if (typeof value !== "string") return value;
  const whole = /^@([A-Za-z_][\w]*)$/.exec(value);
  if (whole) {
    if (!(whole[1] in scope.resources)) {
      problems.push({ rule: "resources-exist", message: `${value} is not a resource at this viewport` });
      return undefined;
    }
    return scope.resources[whole[1]];
  }
  const parts = [];
  const pattern = /\$\{([^}]*)\}/g;
  let last = 0;
  let match;
  while ((match = pattern.exec(value)) !== null) {
    parts.push(value.slice(last, match.index));
    let result;
    try {
      result = evaluateExpression(match[1], scope, problems);
    } catch (error) {
      if (!(error instanceof Unresolved) || !String(error.message).startsWith("@")) {
        problems.push({ rule: "bindings-resolve", message: `\${${match[1]}}: ${error.message}` });
      }
      return undefined;
    }
    if (result === undefined || result === null) {
      problems.push({ rule: "bindings-resolve", message: `\${${match[1]}} is ${result}` });
      return undefined;
    }
    parts.push(result);
    last = pattern.lastIndex;
  }
  if (parts.length === 0) return value;
  parts.push(value.slice(last));
  const meaningful = parts.filter((p) => p !== "");
  return meaningful.length === 1 ? meaningful[0] : meaningful.join("");
}

// A dimension in dp, or null when it depends on layout this check does not do ("auto", unknown parent).
function dp(value, reference, profile) {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return null;
  const m = /^\s*(-?[\d.]+)\s*(dp|px|vw|vh|%)?\s*$/.exec(value);
  if (!m) return null;
  const n = parseFloat(m[1]);
  switch (m[2]) {
    case undefined:
    case "dp":
      return n;
    case "px":
      return (n * 160) / profile.dpi;
    case "vw":
      return (n * profile.width) / 100;
    case "vh":
      return (n * profile.height) / 100;
    default:
      return reference === null ? null : (n * reference) / 100;
  }
}

// ---- colours ------------------------------------------------------------------------------------------

const NAMED = { black: "#000000", white: "#FFFFFF", transparent: "#00000000" };

function rgba(color) {
  const text = NAMED[String(color).toLowerCase()] || String(color);
  let m = /^#([0-9a-f]{3,8})$/i.exec(text);
  if (m) {
    let hex = m[1];
    if (hex.length <= 4) hex = [...hex].map((c) => c + c).join("");
    const v = (i) => parseInt(hex.slice(i, i + 2), 16);
    return [v(0), v(2), v(4), hex.length === 8 ? v(6) / 255 : 1];
  }
  m = /^rgba?\(([^)]*)\)$/i.exec(text);
  if (m) {
    const [r, g, b, a] = m[1].split(",").map((s) => parseFloat(s));
    return [r, g, b, a === undefined ? 1 : a];
  }
  return null;
}

function luminance([r, g, b]) {
  const channel = (c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function contrast(foreground, background) {
  const [r, g, b, a] = foreground;
  const over = [0, 1, 2].map((i) => [r, g, b][i] * a + background[i] * (1 - a));
  const [l1, l2] = [luminance(over), luminance(background)].sort((x, y) => y - x);
  return (l1 + 0.05) / (l2 + 0.05);
}

// ---- walking the inflated component tree ----------------------------------------------------------------

function children(component) {
  const items = component.items !== undefined ? component.items : component.item;
  if (items === undefined) return [];
  return Array.isArray(items) ? items : [items];
}

function checkScreen(screen, profile) {
  const document = screen.document;
  const found = [];
  const seen = new Set();
  const report = (rule, path, message) => {
    const failure = { source: "rule", rule, profile: profile.name, path, message };
    const key = JSON.stringify(failure);
    if (!seen.has(key)) found.push(failure);
    seen.add(key);
  };
  const resources = resourcesFor(document, profile);
  const payloadName = ((document.mainTemplate || {}).parameters || ["payload"])[0];
  const rootScope = { viewport: profile, resources, payload: screen.datasources, data: undefined, index: 0 };
  const documentBackground =
    rgba(evaluate(document.background, rootScope, []) || "") ||
    rgba(THEME_BACKGROUND[document.theme || "dark"] || "#000000");
  const labels = new Map();
  const scrollViews = [];

  // Evaluates one property, reporting binding and resource problems at `path`.
  function prop(component, name, scope, path) {
    const problems = [];
    const value = evaluate(component[name], scope, problems);
    for (const p of problems) report(p.rule, `${path}/${name}`, p.message);
    return value;
  }

  // Every binding in commands (onPress, onMount...) must resolve too; `event` is open.
  function checkCommands(commands, scope, path) {
    const list = Array.isArray(commands) ? commands : [commands];
    list.forEach((command, i) => {
      for (const [key, value] of Object.entries(command || {})) {
        if (key === "commands" || key === "sequential" || key === "parallel") {
          checkCommands(value, scope, `${path}/${i}/${key}`);
        } else if (Array.isArray(value)) {
          value.forEach((item, j) => prop(value, j, scope, `${path}/${i}/${key}`));
        } else {
          prop(command, key, scope, `${path}/${i}`);
        }
      }
    });
  }

  function walk(component, scope, path, box, background, scroll) {
    if (component.when !== undefined && !truthy(prop(component, "when", scope, path))) return;
    const type = component.type;
    const display = prop(component, "display", scope, path);
    if (display === "none") return;
    const label = component.id ? `${type} "${component.id}"` : type;
    for (const key of Object.keys(component)) {
      if (["item", "items", "data", "when", "display", "type"].includes(key)) continue;
      if (/^on[A-Z]/.test(key)) checkCommands(component[key], scope, `${path}/${key}`);
      else prop(component, key, scope, path);
    }
    const width = component.width === undefined ? null : dp(prop(component, "width", scope, path), box.width, profile);
    const height =
      component.height === undefined ? null : dp(prop(component, "height", scope, path), box.height, profile);
    const outerWidth = width !== null ? width : box.stretchWidth ? box.width : null;
    const pad = (side) => dp(prop(component, side, scope, path), outerWidth, profile) || 0;
    const inner = {
      width: outerWidth === null ? null : outerWidth - pad("paddingLeft") - pad("paddingRight"),
      height: height === null ? null : height - pad("paddingTop") - pad("paddingBottom"),
      stretchWidth: true,
    };

    if (SCROLLABLES.has(type) && (width === null || height === null)) {
      report("sized-scrollable", path, `${label} has no ${width === null ? "width" : "height"}: APL makes it 100dp`);
    }
    if (TOUCHABLES.has(type) || component.onPress !== undefined) {
      const spoken = prop(component, "accessibilityLabel", scope, path);
      const role = prop(component, "role", scope, path);
      if (!spoken || !String(spoken).trim()) report("touchable-label", path, `${label} has no accessibilityLabel`);
      if (!ROLES.has(role)) report("touchable-label", path, `${label} has no touchable role (role: ${role})`);
      if (spoken && labels.has(spoken)) {
        report("touchable-label", path, `${label} is labelled "${spoken}" like ${labels.get(spoken)}`);
      }
      if (spoken) labels.set(spoken, path);
      const w = outerWidth;
      if (w === null || height === null || w < MIN_TOUCH_DP || height < MIN_TOUCH_DP) {
        const size = `${w === null ? "?" : Math.round(w)} x ${height === null ? "?" : Math.round(height)} dp`;
        report("touch-target", path, `${label} "${spoken}" is ${size}, less than ${MIN_TOUCH_DP} x ${MIN_TOUCH_DP}`);
      }
    }
    let behind = background;
    if (type === "Frame" && component.backgroundColor !== undefined) {
      const color = rgba(prop(component, "backgroundColor", scope, path));
      if (color && color[3] > 0) behind = color;
    }
    if (type === "Text") {
      const size = component.fontSize === undefined ? DEFAULT_TEXT_DP : dp(prop(component, "fontSize", scope, path), null, profile);
      if (size === null || size < MIN_TEXT_DP) {
        report("text-size", path, `${label} text is ${size === null ? "of unknown size" : `${size}dp`}, less than ${MIN_TEXT_DP}dp`);
      }
      const color = rgba(component.color === undefined ? "#FAFAFA" : prop(component, "color", scope, path));
      if (color === null) {
        report("contrast", path, `${label} has a colour this check cannot read`);
      } else {
        const ratio = contrast(color, behind);
        if (ratio < MIN_CONTRAST) {
          report("contrast", path, `${label} contrast is ${ratio.toFixed(2)}:1, less than ${MIN_CONTRAST}:1`);
        }
      }
      if (scroll) {
        const lineHeight = component.lineHeight === undefined ? DEFAULT_LINE_HEIGHT : Number(prop(component, "lineHeight", scope, path));
        const vertical = pad("paddingTop") + pad("paddingBottom");
        scroll.texts.push({ path, label, pitch: (size || 0) * lineHeight, vertical });
      }
    }

    let nextScroll = scroll;
    if (type === "ScrollView") {
      nextScroll = { path, label, height, texts: [] };
      scrollViews.push(nextScroll);
    }
    const horizontal = type === "Sequence" && component.scrollDirection === "horizontal";
    const childBox = horizontal ? { width: inner.width, height: inner.height, stretchWidth: false } : inner;
    if (type === "Container" && component.direction === "row") childBox.stretchWidth = false;
    const kids = children(component);
    if (component.data !== undefined) {
      const data = prop(component, "data", scope, path);
      if (!Array.isArray(data)) return;
      data.forEach((datum, index) => {
        const itemScope = { ...scope, data: datum, index };
        kids.forEach((kid, k) => walk(kid, itemScope, `${path}/item${kids.length > 1 ? `/${k}` : ""}[data ${index}]`, childBox, behind, nextScroll));
      });
      return;
    }
    const key = component.items !== undefined ? "items" : "item";
    kids.forEach((kid, k) =>
      walk(kid, scope, Array.isArray(component[key]) ? `${path}/${key}/${k}` : `${path}/${key}`, childBox, behind, nextScroll),
    );
  }

  const template = document.mainTemplate || {};
  const scope = { ...rootScope };
  scope[payloadName] = screen.datasources;
  const root = { width: profile.width, height: profile.height, stretchWidth: true };
  children(template).forEach((item, i) => walk(item, scope, `/mainTemplate/items/${i}`, root, documentBackground, null));

  for (const view of scrollViews) {
    for (const text of view.texts) {
      // apl-core rounds each Text's height up to a whole dp: that much more than whole lines is allowed
      // (it is less than the space above a line's letters), so an answer that fits does not scroll.
      const rounding = view.texts.length;
      const spare = text.pitch > 0 ? view.height - Math.floor((view.height + 0.01) / text.pitch) * text.pitch : NaN;
      if (!(spare >= -0.01 && spare <= rounding + 0.01) || text.vertical !== 0) {
        report(
          "whole-lines",
          text.path,
          `${view.label} is ${view.height}dp tall, not a whole number of ${text.label}'s ${text.pitch}dp lines` +
            ` (plus at most ${rounding}dp of rounding)` +
            (text.vertical ? `, and the text has ${text.vertical}dp of vertical padding` : ""),
        );
      }
    }
  }
  return found;
}

// ---- main ---------------------------------------------------------------------------------------------

async function main() {
  const input = await readStdinJson("apl_check.js");
  const screens = input && input.screens;
  if (!Array.isArray(screens) || !screens.every((s) => s && typeof s.document === "object")) {
    process.stderr.write('apl_check.js: stdin must be {"screens": [{"name", "document", "datasources"}]}\n');
    process.exit(2);
  }
  // apl-suggester logs its own notes ("No mixin for component") with console.log: keep stdout for JSON.
  console.log = (...args) => process.stderr.write(`${args.join(" ")}\n`);
  const failures = [];
  const suggested = new Map();
  for (const screen of screens) {
    const key = JSON.stringify([screen.document, screen.datasources]);
    if (!suggested.has(key)) suggested.set(key, await suggest(screen.document, screen.datasources || {}));
    for (const failure of suggested.get(key)) failures.push({ screen: screen.name, ...failure });
    for (const profile of PROFILES) {
      for (const failure of checkScreen(screen, profile)) failures.push({ screen: screen.name, ...failure });
    }
  }
  process.stdout.write(`${JSON.stringify({ checked: screens.length, profiles: PROFILES, failures }, null, 2)}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`apl_check.js: ${(error && error.stack) || error}\n`);
  process.exit(1);
});
