#!/usr/bin/env node
// Checks SSML against Amazon Alexa's rules with ssml-check-core, a validator written independently of
// this project (tags, attributes and their values, XML well-formedness, bare "&"), so the skill's own
// SSML tests are not the only judge of what Alexa will accept.
//
//   echo '["<speak>Hello</speak>"]' | node tools/alexa/ssml_check.js [--locale en-GB]
//
// Reads a JSON array of SSML strings on stdin. Prints {"checked": N, "failures": [{index, ssml, errors}]}
// with ssml-check-core's error objects. Exits 0 when every string is valid, 1 when any is not, 2 when the
// input is not a JSON array of strings.
"use strict";

const ssmlCheck = require("ssml-check-core");
const { readStdinJson } = require("./stdin_json");

function localeOption(argv) {
  const at = argv.indexOf("--locale");
  return at === -1 ? undefined : argv[at + 1];
}

async function main() {
  const strings = await readStdinJson("ssml_check.js");
  if (!Array.isArray(strings) || !strings.every((item) => typeof item === "string")) {
    process.stderr.write("ssml_check.js: stdin must be a JSON array of SSML strings\n");
    process.exit(2);
  }
  const options = { platform: "amazon", locale: localeOption(process.argv.slice(2)), getPositions: true };
  const failures = [];
  for (const [index, ssml] of strings.entries()) {
    const errors = await ssmlCheck.check(ssml, options);
    if (errors && errors.length) {
      failures.push({ index, ssml, errors });
    }
  }
  process.stdout.write(`${JSON.stringify({ checked: strings.length, failures }, null, 2)}\n`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((error) => {
  process.stderr.write(`ssml_check.js: ${(error && error.stack) || error}\n`);
  process.exit(1);
});
