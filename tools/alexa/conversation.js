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
// resolutions), and what the skill answered. With --samples, every sample utterance of the model is also
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

// The scripted conversation: common to every English locale (phrases from the samples both share).
// `say`: an utterance resolved by virtual-alexa against our model; `intend`: an explicit intent (built-ins
// virtual-alexa cannot reach from text, launch-word phrases, an unknown custom slot value);
// `oneShot`: "ask <invocation name> to ..."; `launch` / `end`: LaunchRequest / SessionEndedRequest.
const SCRIPT = [
  { label: "launch", launch: true },
  { label: "about", say: "what are trigger point injections" },
  { label: "about-more", say: "more details" },
  { label: "yes-to-offer", say: "yes" },
  { label: "muscles", say: "which muscles are treated" },
  { label: "muscle-traps", say: "what is the traps" },
  { label: "muscle-side-of-neck", say: "i have pain in my side of my neck" },
  { label: "muscle-glute-med", say: "my glute med is sore" },
  { label: "muscle-quadratus", say: "where is the quadratus" },
  { label: "muscle-unknown", intend: "MuscleIntent", slots: { muscle: "biceps" } },
  { label: "benefits", say: "what are the benefits" },
  { label: "trigger-points", say: "what is a trigger point" },
  { label: "finding", say: "how are trigger points found" },
  { label: "medicine", say: "what is injected" },
  { label: "pain-locations", say: "where can i feel the pain" },
  { label: "piriformis", say: "what is piriformis syndrome" },
  { label: "when-recommended", say: "when are they recommended" },
  { label: "safety", say: "is it safe" },
  { label: "no-to-offer", say: "no" },
  { label: "not-covered-side-effects", say: "what about side effects" },
  { label: "not-covered-synonym", say: "are there any complications" },
  { label: "not-covered-cost", say: "how much does it cost" },
  { label: "slower", say: "speak slower" },
  { label: "answer-slower", say: "what is injected" },
  { label: "faster", say: "speak faster" },
  { label: "faster-again", say: "faster" },
  { label: "answer-faster", say: "what is injected" },
  { label: "normal-speed", say: "normal speed" },
  { label: "help", say: "help" },
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
  { label: "stop", say: "stop" },
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

async function runTurn(alexa, invocationName, step) {
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
    } else {
      try {
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
  for (const [index, step] of SCRIPT.entries()) {
    sent = null;
    const turn = { index, label: step.label };
    try {
      const { utterance, response } = await runTurn(alexa, languageModel.invocationName, step);
      const body = (response && response.response) || {};
      const reprompt = body.reprompt && body.reprompt.outputSpeech;
      Object.assign(turn, {
        utterance,
        requestType: sent.request.type,
        intent: sent.request.intent ? sent.request.intent.name : null,
        slots: slotsSent(sent),
        sessionNew: Boolean(sent.session && sent.session.new),
        speech: body.outputSpeech ? body.outputSpeech.ssml || null : null,
        reprompt: reprompt ? reprompt.ssml || null : null,
        shouldEndSession: body.shouldEndSession === undefined ? null : body.shouldEndSession,
      });
    } catch (error) {
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
