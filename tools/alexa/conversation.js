#!/usr/bin/env node
// A scripted conversation with the running skill through virtual-alexa, an NLU and request builder
// written independently of this project: it resolves our utterances against our own interaction model
// file and POSTs the requests it builds to the web service, so the model and the server are checked
// together by a tool that shares no code with the skill.
//
//   node tools/alexa/conversation.js --url http://127.0.0.1:5000/ --locale en-GB [--model FILE] [--samples]
//
// Prints one JSON document: {locale, model, invocationName, modelIntents, turns: [...], samples: [...]},
// each turn with what was said, the intent virtual-alexa resolved it to, the slots it sent (with entity
// resolutions) and its dialog state, and what the skill answered (speech, reprompt, directive types,
// the slot a Dialog.ElicitSlot asks for). With --samples, every sample utterance of the model is also
// said once (slots filled with their type's first value) and `samples` records which intent virtual-alexa
// resolved it to: a second opinion on samples that overlap between intents. Exits 1 when a turn could
// not be run (its `error` says why), 2 on usage.
"use strict";

const fs = require("fs");
const path = require("path");
// aws-sdk v2 (a dependency of virtual-alexa, unused here) prints an end-of-support notice on stderr.
process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = "1";
const { VirtualAlexa } = require("virtual-alexa");

// virtual-alexa 0.7.8's utter() treats any utterance *containing* these words (no word boundaries) as
// a launch request. Turns that would contain one are written as explicit intents instead; `say` refuses
// them so the script cannot silently test a launch where it meant a question.
const LAUNCH_WORDS = /(ask|open|launch|talk to|tell)/i;
// virtual-core 0.7 strips periods from what is said but keeps them in a sample's regular expression, where
// "." matches one character: a sample with a spoken abbreviation ("what does t. p. i. stand for") can
// never be matched, however it is said. Such samples are recorded as skipped, with this reason.
const SPOKEN_ABBREVIATION = /\b[a-z]\./i;

// The scripted conversation: common to every English locale (phrases from the samples both share).
// `say`: an utterance resolved by virtual-alexa against our model; `intend`: an explicit intent (built-ins
// virtual-alexa cannot reach from text, launch-word phrases, a custom slot value no value matches, an
// empty slot); `answer`: what is said right after the skill re-asked for a slot (Dialog.ElicitSlot),
// resolved here against that slot's own samples (see resolveSlotAnswer); `oneShot`: "ask <invocation
// name> to ..."; `launch` / `end`: LaunchRequest / SessionEndedRequest.
const SCRIPT = [
  { label: "launch", launch: true },
  { label: "about", say: "what are trigger point injections" },
  { label: "about-more", say: "more details" },
  { label: "yes-to-offer", say: "yes" },
  { label: "muscles", say: "which muscles are treated" },
  { label: "part-traps", say: "can you inject my traps" },
  { label: "part-side-of-neck", say: "i have pain in my side of my neck" },
  { label: "part-glute-med", say: "my glute med is sore" },
  { label: "part-quadratus", say: "where is the quadratus" },
  { label: "part-lower-back", say: "my lower back hurts" },
  { label: "part-bottom", say: "i have pain in my bottom" },
  { label: "part-unknown", intend: "BodyPartIntent", slots: { bodyPart: "knee" } },
  { label: "part-empty", intend: "BodyPartIntent" },
  { label: "part-reask-answer", answer: "it's my neck" },
  { label: "benefits", say: "what are the benefits" },
  { label: "movement", say: "will it improve my range of motion" },
  { label: "diagnostic-value", say: "is it diagnostic" },
  { label: "trigger-points", say: "what is a trigger point" },
  { label: "causes", say: "what causes trigger points" },
  { label: "knots", say: "what is a muscle knot" },
  { label: "finding", say: "how are trigger points found" },
  { label: "twitch", say: "what is a twitch response" },
  { label: "referred-pain", say: "what is referred pain" },
  { label: "medicine", say: "what is injected" },
  { label: "steroid", say: "is it a steroid" },
  { label: "pain-locations", say: "where can i feel the pain" },
  { label: "piriformis", say: "what is piriformis syndrome" },
  { label: "when-recommended", say: "when are they recommended" },
  { label: "other-treatments", say: "what if painkillers don't work" },
  { label: "safety", say: "is it safe" },
  { label: "no-to-offer", say: "no" },
  { label: "side-effects", say: "what are the side effects" },
  { label: "risks", say: "are there complications" },
  { label: "not-covered", say: "what should i do afterwards" },
  { label: "not-covered-cost", say: "how much does it cost" },
  { label: "not-covered-pain", say: "does it hurt" },
  { label: "not-covered-relief", say: "how long does the relief last" },
  { label: "not-covered-recovery", say: "how long is the recovery" },
  { label: "not-covered-number", say: "how many injections will i need" },
  { label: "not-covered-pregnancy", say: "is it safe during pregnancy" },
  { label: "not-covered-who", say: "who gives the injections" },
  { label: "subject-covered", say: "what does the leaflet say about cortisone" },
  { label: "subject-uncovered", say: "does the leaflet mention pregnancy" },
  { label: "subject-unknown", intend: "SubjectIntent", slots: { subject: "bruising" } },
  { label: "subject-empty", intend: "SubjectIntent" },
  { label: "subject-reask-answer", answer: "the cost" },
  { label: "thanks", say: "thank you" },
  { label: "greeting", say: "hello" },
  { label: "who-are-you", say: "are you a doctor" },
  { label: "source", say: "who wrote this" },
  { label: "repeat-after-small-talk", say: "repeat" },
  { label: "slower", say: "speak slower" },
  { label: "answer-slower", say: "what is injected" },
  { label: "faster", say: "speak faster" },
  { label: "faster-again", say: "faster" },
  { label: "answer-faster", say: "what is injected" },
  { label: "normal-speed", say: "normal speed" },
  { label: "help", say: "help" },
  { label: "help-more", say: "more" },
  { label: "help-sample", say: "what can you do" },
  { label: "before-repeat", say: "what are the benefits" },
  { label: "repeat", say: "repeat" },
  { label: "fallback", intend: "AMAZON.FallbackIntent" },
  { label: "start-over", say: "start over" },
  { label: "cancel", say: "cancel" },
  { label: "launch-2", launch: true },
  { label: "navigate-home", say: "go home" },
  { label: "one-shot", oneShot: "list the muscles" },
  { label: "one-shot-stop", say: "stop" },
  { label: "launch-3", launch: true },
  { label: "session-ended", end: true },
  { label: "launch-4", launch: true },
  { label: "no-with-nothing-offered", say: "no" },
  { label: "launch-5", launch: true },
  { label: "that-is-all", say: "that's all" },
];

function usage(message) {
  process.stderr.write(`${message}\nusage: conversation.js --url URL --locale LOCALE [--model FILE] [--samples]\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const options = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (key === "--samples") {
      options.samples = true;
      i -= 1;
      continue;
    }
    const value = argv[i + 1];
    if (!["--url", "--locale", "--model"].includes(key) || value === undefined) {
      usage(`bad argument: ${key}`);
    }
    options[key.slice(2)] = value;
  }
  if (!options.url || !options.locale) {
    usage("--url and --locale are required");
  }
  options.model =
    options.model || path.join(__dirname, "..", "..", "interaction_models", `${options.locale}.json`);
  return options;
}

// Our files are ASK format ({"interactionModel": {"languageModel": ...}}), which virtual-alexa's
// InteractionModel.fromJSON reads as it is: no transformation needed.
function loadModel(file) {
  const json = JSON.parse(fs.readFileSync(file, "utf8"));
  const languageModel = json.interactionModel && json.interactionModel.languageModel;
  if (!languageModel) {
    throw new Error(`${file} is not an ASK interaction model`);
  }
  return { json, languageModel };
}

function slotsSent(request) {
  const slots = (request.request.intent && request.request.intent.slots) || {};
  const result = {};
  for (const [name, slot] of Object.entries(slots)) {
    const authorities = (slot.resolutions && slot.resolutions.resolutionsPerAuthority) || [];
    result[name] = {
      value: slot.value === undefined ? null : slot.value,
      resolutions: authorities.map((authority) => ({
        status: authority.status && authority.status.code,
        ids: (authority.values || []).map((entry) => entry.value && entry.value.id),
      })),
    };
  }
  return result;
}

// The slot a response asks Alexa to listen for next (Dialog.ElicitSlot), as {intent, slot}, or null.
function elicited(response) {
  const directives = (response && response.response && response.response.directives) || [];
  const directive = directives.find((d) => d.type === "Dialog.ElicitSlot");
  if (!directive) {
    return null;
  }
  return { intent: directive.updatedIntent && directive.updatedIntent.name, slot: directive.slotToElicit };
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// virtual-alexa 0.7.8 reads the dialog model (it marks requests STARTED / IN_PROGRESS) but never matches
// an utterance against a slot's own samples ("it's my {bodyPart}"), which Alexa uses only while it elicits
// that slot. Done here instead: the utterance must be one of the elicited slot's samples with the slot
// filled by a value or synonym of its type; virtual-alexa then sends that value with its own resolution.
function resolveSlotAnswer(languageModel, elicitation, utterance) {
  if (!elicitation) {
    throw new Error(`"${utterance}" answers a re-ask, but the last response asked for no slot`);
  }
  const intent = languageModel.intents.find((i) => i.name === elicitation.intent);
  const slot = intent && (intent.slots || []).find((s) => s.name === elicitation.slot);
  if (!slot) {
    throw new Error(`the model has no slot ${elicitation.intent}.${elicitation.slot} to elicit`);
  }
  const type = (languageModel.types || []).find((t) => t.name === slot.type);
  const spoken = new Set();
  for (const value of (type && type.values) || []) {
    for (const text of [value.name.value, ...(value.name.synonyms || [])]) {
      spoken.add(text.toLowerCase());
    }
  }
  for (const sample of slot.samples || []) {
    const parts = sample.split(/(\{\w+\})/).map((part) =>
      part === `{${slot.name}}` ? "(.+)" : escapeRegExp(part.toLowerCase()),
    );
    const match = new RegExp(`^${parts.join("")}$`).exec(utterance.toLowerCase());
    if (match && spoken.has(match[1])) {
      return { intent: intent.name, slots: { [slot.name]: match[1] }, sample };
    }
  }
  throw new Error(`"${utterance}" is none of the slot samples of ${intent.name}.${slot.name}`);
}

async function runTurn(alexa, languageModel, step, elicitation) {
  const invocationName = languageModel.invocationName;
  if (step.answer) {
    const resolved = resolveSlotAnswer(languageModel, elicitation, step.answer);
    return {
      utterance: step.answer,
      slotSample: resolved.sample,
      response: await alexa.intend(resolved.intent, resolved.slots),
    };
  }
  // A dialog lasts only as long as the skill keeps eliciting; virtual-alexa would otherwise carry the
  // dialog's slots and state into every later request of that intent in the session.
  alexa.dialogManager().reset();
  if (step.launch) {
    return { utterance: null, response: await alexa.launch() };
  }
  if (step.end) {
    // The default reason, USER_INITIATED (its enum is not exported, and a string would be misread).
    return { utterance: null, response: await alexa.endSession() };
  }
  if (step.intend) {
    return { utterance: null, response: await alexa.intend(step.intend, step.slots) };
  }
  if (step.oneShot) {
    const utterance = `ask ${invocationName} to ${step.oneShot}`;
    return { utterance, response: await alexa.utter(utterance) };
  }
  if (LAUNCH_WORDS.test(step.say)) {
    throw new Error(`"${step.say}" contains a word virtual-alexa takes for a launch; use intend`);
  }
  return { utterance: step.say, response: await alexa.utter(step.say) };
}

// Every sample with its slots filled from the first value of each slot's type, as a listener might say it.
function sampleUtterances(languageModel) {
  const firstValue = {};
  for (const type of languageModel.types || []) {
    firstValue[type.name] = type.values[0].name.value;
  }
  const result = [];
  for (const intent of languageModel.intents) {
    const slotType = {};
    for (const slot of intent.slots || []) {
      slotType[slot.name] = slot.type;
    }
    for (const sample of intent.samples || []) {
      const utterance = sample.replace(/\{(\w+)\}/g, (_, name) => firstValue[slotType[name]] || name);
      result.push({ intent: intent.name, sample, utterance });
    }
  }
  return result;
}

async function sayEverySample(alexa, languageModel, sentRequest) {
  const results = [];
  for (const entry of sampleUtterances(languageModel)) {
    const result = { ...entry, resolved: null };
    if (LAUNCH_WORDS.test(entry.utterance)) {
      result.skipped = "contains a word virtual-alexa takes for a launch";
    } else if (SPOKEN_ABBREVIATION.test(entry.sample)) {
      result.skipped = "has a spoken abbreviation virtual-alexa cannot match";
    } else {
      try {
        alexa.dialogManager().reset();
        const response = await alexa.utter(entry.utterance);
        const request = sentRequest();
        result.resolved = request.request.intent ? request.request.intent.name : request.request.type;
        result.hasSpeech = Boolean(response.response && response.response.outputSpeech);
      } catch (error) {
        result.error = String((error && error.message) || error);
      }
    }
    results.push(result);
  }
  return results;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const { json, languageModel } = loadModel(options.model);
  const alexa = VirtualAlexa.Builder()
    .interactionModel(json)
    .skillURL(options.url)
    .locale(options.locale)
    .create();

  // The filter sees each request just before it is sent: the only place to read what was resolved.
  let sent = null;
  alexa.filter((request) => {
    sent = JSON.parse(JSON.stringify(request));
  });

  const turns = [];
  let elicitation = null;
  for (const [index, step] of SCRIPT.entries()) {
    sent = null;
    const turn = { index, label: step.label };
    try {
      const { utterance, slotSample, response } = await runTurn(alexa, languageModel, step, elicitation);
      const body = (response && response.response) || {};
      const reprompt = body.reprompt && body.reprompt.outputSpeech;
      elicitation = elicited(response);
      Object.assign(turn, {
        utterance,
        slotSample: slotSample || null,
        requestType: sent.request.type,
        intent: sent.request.intent ? sent.request.intent.name : null,
        dialogState: sent.request.dialogState || null,
        slots: slotsSent(sent),
        sessionNew: Boolean(sent.session && sent.session.new),
        speech: body.outputSpeech ? body.outputSpeech.ssml || null : null,
        reprompt: reprompt ? reprompt.ssml || null : null,
        shouldEndSession: body.shouldEndSession === undefined ? null : body.shouldEndSession,
        directives: (body.directives || []).map((directive) => directive.type),
        elicitSlot: elicitation,
      });
    } catch (error) {
      elicitation = null;
      turn.error = String((error && error.message) || error);
    }
    turns.push(turn);
  }

  const samples = options.samples ? await sayEverySample(alexa, languageModel, () => sent) : [];

  const result = {
    locale: options.locale,
    model: options.model,
    invocationName: languageModel.invocationName,
    modelIntents: languageModel.intents.map((intent) => intent.name),
    turns,
    samples,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  process.exitCode = turns.some((turn) => turn.error) ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`conversation.js: ${(error && error.stack) || error}\n`);
  process.exit(1);
});
