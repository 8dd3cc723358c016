// Reads all of stdin as JSON for the check tools; bad JSON ends the process with exit code 2, the
// tools' code for "the input was not what I expect" (0: all good, 1: failures found).
"use strict";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

async function readStdinJson(tool) {
  try {
    return JSON.parse(await readStdin());
  } catch (error) {
    process.stderr.write(`${tool}: stdin is not JSON: ${error.message}\n`);
    process.exit(2);
  }
}

module.exports = { readStdinJson };
