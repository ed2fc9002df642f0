"""The CTranslate2 engine: ``generate(loaded, texts, caps, options)`` with the transformers engine's contract.

The model is converted on first use (convert.py) and loaded into the same LRU cache as transformers
models. It reads the same token ids the transformers engine feeds ``generate()`` (the recipe's special
tokens included) and returns the same ``Generated``: hypotheses best first with the same score,
``sum of token log-probs / (generated tokens ** length_penalty)``, counting ``</s>``. CTranslate2 divides
by the hypothesis length too, without ``</s>`` by default: ``return_end_token=True`` makes its length, and
so its score and ranking, the same as generate()'s.

Per-text caps: CTranslate2 takes one ``max_decoding_length`` per call. Greedy search stops each text at
its own cap from the step callback (which also enforces the time limit). Beam search makes one call per cap
(``_beam_search``), so each text is decoded once, to its own cap, and its output is the one it gets alone;
the calls are queued at once, for the workers (one per thread, ``_translator``) to share. The time limit: a
beam search can't be stopped midway, so it is bounded by the batch size (the token budget and ``max_rows``).

Token confidences (``Generated.tokens``, unless ``options.confidences`` is off) come from the logits of each step
along the best hypothesis (confidences.py): greedy search returns them; after a beam search, a forced pass reads them.

Known differences from generate(): CTranslate2 ends a beam search when beam x PATIENCE hypotheses are
done (generate() goes on while a running beam could still beat the worst of them), so near-ties can
resolve differently; suppressed tokens (no-repeat n-grams) are removed before the softmax, not after, so scores
differ slightly when that option bites; Marian's converted vocabulary drops ``<pad>`` (the decoder's start
token, never an output), so its softmax leaves out <pad>'s probability, negligible in a trained model.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ....core.errors import InputError, ModelUnavailableError
from ....core.loading import (
    LoadedModel,
    cached,
    checkpoint,
    device_and_name,
    first_line,
    load_tokenizer,
    resolve_spec,
)
from ....core.registry import ModelSpec
from ....core.settings import PRECISIONS, get_settings
from ..results import Hypothesis, TokenScore
from . import confidences, convert, cuda_libraries
from .base import Generated, GenerationOptions, Seq2Seq, decoder
from .transformers import rows_per_text

NAME = "ctranslate2"
# CTranslate2 ends a text once beam x patience hypotheses are done; generate() goes on while a running beam
# could still beat the kept ones. At 2, the tiny parity models' best hypotheses match 59 of 60 texts (at 1: 44-53)
PATIENCE = 2
# the seed that tells CTranslate2 to seed each new worker thread from the system's randomness (its default)
UNSEEDED = 2**32 - 1
# decoder state of one call (self- and cross-attention keys and values of every beam, a step's logits): under this
STATE_BYTES = 1 * 2**30
# CTranslate2 compute type -> the precision name results report (the int8 types keep their own names)
PRECISION_NAMES = {"float16": "fp16", "bfloat16": "bf16", "float32": "fp32"}
# what each requested precision asks of CTranslate2, on a CPU and on CUDA; then what to try if that is missing.
# auto is the model's own numbers, as on transformers (fp32 on a CPU, bf16 on CUDA, fp16 where bf16 is missing);
# 8bit is CTranslate2's int8, the fastest on a CPU, whose output differs slightly
COMPUTE_TYPES = {
    "auto": ("float32", "bfloat16"),
    "8bit": ("int8", "int8_float16"),
    "fp32": ("float32", "float32"),
    "fp16": ("float16", "float16"),
    "bf16": ("bfloat16", "bfloat16"),
}
FALLBACKS = {"cpu": ("float32",), "cuda": ("float16", "float32")}


@dataclass(frozen=True, eq=False)
class FastModel:
    """What ``LoadedModel.model`` holds for this engine."""

    translator: Any  # ctranslate2.Translator
    config: Any  # the checkpoint's transformers config: input limits, position counts
    source_vocabulary: list[str]  # the converted model's source tokens, index = token id
    vocabulary: list[str]  # its target tokens, index = token id (Marian: <pad> dropped)
    ids: dict[str, int]  # token -> id, the inverse of ``vocabulary``
    start_id: int  # the decoder start token generate() puts first
    end_tokens: list[str]  # generate()'s end-of-sequence tokens
    suppressed: list[list[str]]  # tokens the generation config never lets generate() produce
    repetition_penalty: float
    folder: Path  # the converted model


# -------------------------------------------------------------------- loading


def compute_type(precision: str, device: str) -> tuple[str, list[str]]:
    """The CTranslate2 compute type for ``precision`` on ``device`` ("cpu" or "cuda"), and notes on any fallback."""
    import ctranslate2

    if precision == "4bit":
        raise InputError("CTranslate2 has no 4-bit precision: use the transformers engine for 4bit, or 8bit (int8).")
    wanted = COMPUTE_TYPES[precision][device == "cuda"]
    supported = ctranslate2.get_supported_compute_types(device)
    chosen = next(t for t in (wanted, *FALLBACKS[device]) if t in supported)
    notes = [] if chosen == wanted else [f"CTranslate2 can't run {wanted} on this {device.upper()}; ran {chosen}."]
    return chosen, notes


def load(model: str, precision: str = "auto") -> LoadedModel[FastModel]:
    """``model`` converted for CTranslate2 (on first use) and loaded, from the shared model cache."""
    if not convert.available():
        raise ModelUnavailableError(
            "CTranslate2 is not installed: install it with `pip install ctranslate2`, or use the transformers engine."
        )
    import ctranslate2

    spec = resolve_spec(model, "translation")
    requested = get_settings().precision if precision == "auto" else precision
    if requested not in PRECISIONS:
        raise InputError(f"Precision must be one of {', '.join(PRECISIONS)}, not {precision!r}.")
    device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if device == "cuda":
        cuda_libraries.check(spec.key)
    compute, notes = compute_type(requested, device)
    # the conversion folder is part of what was loaded: a model from another folder is another conversion
    key = (NAME, spec.source, spec.revision, compute, spec.recipe, str(convert.cache_root()), get_settings().threads)
    return cached(key, lambda: _load_uncached(spec, compute, device, notes))


def _load_uncached(spec: ModelSpec, compute: str, device: str, notes: list[str]) -> LoadedModel[FastModel]:
    from transformers import AutoConfig, GenerationConfig

    try:
        folder = convert.converted(spec, compute)
    except (ValueError, RuntimeError, NotImplementedError, KeyError, OSError) as exc:
        raise ModelUnavailableError(
            f"Model {spec.key!r} could not be converted for CTranslate2: {first_line(exc)}"
        ) from None
    source, _ = checkpoint(spec)
    tokenizer = load_tokenizer(source, spec)
    config = AutoConfig.from_pretrained(source, trust_remote_code=False)
    try:
        generation = GenerationConfig.from_pretrained(source)
    except OSError:  # no generation_config.json: generate() derives one from the config
        generation = GenerationConfig.from_model_config(config)
    translator = _translator(folder, device, compute)
    torch_device, device_name = device_and_name()
    return LoadedModel(
        model=_fast_model(translator, config, generation, folder),
        tokenizer=tokenizer,
        key=spec.key,
        spec=spec,
        device=torch_device if torch_device.type == device else torch.device(device),
        device_name=device_name if torch_device.type == device else device.upper(),
        precision=PRECISION_NAMES.get(compute, compute),
        attn="sdpa",
        footprint_bytes=sum(f.stat().st_size for f in folder.iterdir() if f.is_file()),
        warnings=tuple(notes),
        engine=NAME,
    )


def _translator(folder: Path, device: str, compute: str, device_index: int | list[int] = 0, workers: int = 0) -> Any:
    """A Translator on the settings' threads (core/threads.py): on a CPU, ``workers`` (default: one per thread) that
    each run a share of a call's texts (``translate_call``) on threads / workers threads. One-thread workers waste
    no time syncing a pool over small decoding steps, nor stall when another process takes a core (BENCHMARKS.md)."""
    import ctranslate2

    threads = get_settings().threads
    workers = workers or threads
    translator = ctranslate2.Translator(
        str(folder),
        device=device,
        device_index=device_index,
        compute_type=compute,
        intra_threads=max(1, threads // workers) if device == "cpu" else 0,
        inter_threads=workers if device == "cpu" else 1,
    )
    # CTranslate2 set this thread's OpenMP count (torch's too) to intra_threads; its workers keep theirs
    torch.set_num_threads(threads)
    return translator


def _fast_model(translator: Any, config: Any, generation: Any, folder: Path) -> FastModel:
    vocabulary = _vocabulary(folder, "target")
    ids = {token: i for i, token in enumerate(vocabulary)}
    ends = generation.eos_token_id
    ends = [ends] if isinstance(ends, int) else list(ends or [])
    start = generation.decoder_start_token_id
    start = start if start is not None else generation.bos_token_id
    # suppress_tokens and single-token bad words are what generate() never emits; ids CTranslate2 lacks can't appear
    never = list(generation.suppress_tokens or []) + [w[0] for w in generation.bad_words_ids or [] if len(w) == 1]
    return FastModel(
        translator=translator,
        config=config,
        source_vocabulary=_vocabulary(folder, "source"),
        vocabulary=vocabulary,
        ids=ids,
        start_id=int(start),
        end_tokens=[vocabulary[i] for i in ends if i < len(vocabulary)],
        suppressed=[[vocabulary[i]] for i in never if i < len(vocabulary)],
        repetition_penalty=float(generation.repetition_penalty or 1.0),
        folder=folder,
    )


def _vocabulary(folder: Path, side: str) -> list[str]:
    for name in (f"{side}_vocabulary.json", "shared_vocabulary.json"):
        if (folder / name).is_file():
            return json.loads((folder / name).read_text(encoding="utf-8"))
    raise ModelUnavailableError(
        f"The converted model in {folder} has no vocabulary; delete the folder to convert again."
    )


# -------------------------------------------------------------------- generation


def max_rows(loaded: Seq2Seq, longest_cap: int, options: GenerationOptions) -> int:
    """Texts per call whose decoder state fits STATE_BYTES (the memory guard; the cap stands in for the source)."""
    layers, width, vocab = _dimensions(loaded.model.config)
    per_beam = 4 * (layers * 4 * longest_cap * width + 2 * vocab)  # float32: K and V for self and cross attention
    return max(1, STATE_BYTES // (max(options.num_beams, rows_per_text(options)) * per_beam))


def _dimensions(config: Any) -> tuple[int, int, int]:
    """(decoder layers, width, vocabulary) of a Marian or encoder-decoder config."""
    decoder = getattr(config, "decoder", config)
    layers = getattr(decoder, "decoder_layers", None) or decoder.num_hidden_layers
    width = getattr(decoder, "d_model", None) or decoder.hidden_size
    return int(layers), int(width), int(decoder.vocab_size)


def generate(
    loaded: LoadedModel[FastModel], texts: list[str], caps: list[int], options: GenerationOptions
) -> list[Generated]:
    fast: FastModel = loaded.model
    encoded = loaded.tokenizer(texts, add_special_tokens=loaded.recipe.add_special_tokens)["input_ids"]
    sources = [[fast.source_vocabulary[i] for i in ids] for ids in encoded]
    search = _greedy_search if options.num_beams == 1 else _beam_search
    found = search(fast, sources, caps, options)
    specials = {fast.ids[t] for t in loaded.tokenizer.all_special_tokens if t in fast.ids}
    decode = decoder(loaded.tokenizer)
    return [
        generated(
            loaded,
            fast,
            hypotheses,
            cap,
            confidences.token_scores(fast.vocabulary, fast.ids, hypotheses[0][0], logits, specials, decode),
        )
        for (hypotheses, logits), cap in zip(found, caps, strict=True)
    ]


# per text: its hypotheses (tokens, score) best first, and per token of the best the step's logits (or none)
Found = tuple[list[tuple[list[str], float]], list[Any]]


def translate_call(
    fast: FastModel,
    sources: list[list[str]],
    cap: int,
    options: GenerationOptions,
    translator: Any = None,
    **extra: Any,
) -> list[Any]:
    """translate_batch (on ``translator``, else the model's) with the options every call shares; ``extra`` adds to
    them or overrides them."""
    shared: dict[str, Any] = dict(
        beam_size=options.num_beams,
        patience=PATIENCE,
        length_penalty=options.length_penalty,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
        repetition_penalty=fast.repetition_penalty,
        suppress_sequences=fast.suppressed or None,
        end_token=fast.end_tokens,
        return_end_token=True,  # hypothesis length, score and ranking count </s>, as generate()'s do
        return_scores=True,
        max_decoding_length=cap,
        min_decoding_length=0,  # CTranslate2 bans </s> at the first step by default; generate() doesn't
        max_input_length=0,  # chunks already fit the model; never cut them silently
    )
    chosen = translator or fast.translator
    # the texts split evenly between the workers (translate_batch runs its sub-batches side by side)
    shared["max_batch_size"] = -(-len(sources) // chosen.num_translators)
    return chosen.translate_batch(sources, **(shared | extra))


@contextmanager
def _seeded(fast: FastModel, seed: int | None) -> Iterator[Any]:
    """The translator to sample with: the model's own, or for a ``seed`` a fresh one on the same files.

    CTranslate2 seeds a worker thread's random generator once, at its first sample, from the seed set then;
    ``set_random_seed`` later changes nothing for a thread that has sampled. A new translator has a new worker
    thread, so its samples start from ``seed`` (loading it again costs about what the first load did).
    """
    if seed is None:
        yield fast.translator
        return
    import ctranslate2

    ctranslate2.set_random_seed(seed)
    try:
        # one worker: two would each start from the seed, and which texts each runs is down to timing
        yield _translator(
            fast.folder, fast.translator.device, fast.translator.compute_type, fast.translator.device_index, 1
        )
    finally:
        ctranslate2.set_random_seed(UNSEEDED)


def _greedy_search(
    fast: FastModel, sources: list[list[str]], caps: list[int], options: GenerationOptions
) -> list[Found]:
    """Greedy search, or sampling: OVERSAMPLE samples per n-best row asked for, the distinct ones kept best first
    (as the transformers engine does)."""
    deadline = time.monotonic() + options.max_time

    def on_step(step: Any) -> bool:
        """Called after each token: True ends that text (at its own cap, or everyone at the time limit)."""
        return step.step + 1 >= caps[step.batch_id] or time.monotonic() > deadline

    sampling = options.decoding == "sampling"
    extra = (
        dict(
            sampling_temperature=options.temperature,
            sampling_topk=options.top_k,  # 0: the whole vocabulary, as generate()'s top_k=0
            sampling_topp=options.top_p,
        )
        if sampling
        else {}
    )
    with _seeded(fast, options.seed if sampling else None) as translator:
        # greedy search returns each step's logits as it goes: the confidences cost no second pass
        results = translate_call(
            fast,
            sources,
            max(caps),
            options,
            translator=translator,
            num_hypotheses=rows_per_text(options),
            callback=on_step,
            return_logits_vocab=options.confidences,
            **extra,
        )
    found = []
    for r in results:
        order = sorted(range(len(r.hypotheses)), key=lambda i: -r.scores[i])
        distinct = list({tuple(r.hypotheses[i]): i for i in reversed(order)}.values())[::-1]
        kept = distinct[: options.num_return_sequences]
        found.append(([(r.hypotheses[i], r.scores[i]) for i in kept], r.logits[kept[0]] if r.logits else []))
    return found


def _beam_search(fast: FastModel, sources: list[list[str]], caps: list[int], options: GenerationOptions) -> list[Found]:
    """Every text as if alone under its own cap: one call per cap, so each text is decoded once, to its own cap.

    (A call at the longest cap would run a text that reaches a lower cap of its own past it, and again. Nor can
    nearby caps share the highest, the output cut after: at its cap a search ends the beams it has, past it they
    go on, so the best can differ.) The calls are queued at once, the most work first, so the workers end close
    together. CTranslate2 4.8 returns no logits from a beam search: a forced pass reads them (confidences.py).
    """
    by_cap = {c: [i for i, k in enumerate(caps) if k == c] for c in caps}
    n_best = options.num_return_sequences
    queued = [
        (rows, translate_call(fast, [sources[i] for i in rows], cap, options, asynchronous=True, num_hypotheses=n_best))
        for cap, rows in sorted(by_cap.items(), key=lambda group: -group[0] * len(group[1]))
    ]
    found = {i: pending.result() for rows, results in queued for i, pending in zip(rows, results, strict=True)}
    hypotheses = [list(zip(found[i].hypotheses, found[i].scores, strict=True)) for i in range(len(sources))]
    if not options.confidences:
        return [(h, []) for h in hypotheses]
    int8 = fast.translator.compute_type.startswith("int8")  # its pass gains from the workers, a float one doesn't
    forced = translate_call(
        fast, sources, max(caps), options, **confidences.forced([h[0][0] for h in hypotheses], int8)
    )
    return [(h, r.logits[0]) for h, r in zip(hypotheses, forced, strict=True)]


def generated(
    loaded: LoadedModel,
    fast: FastModel,
    hypotheses: list[tuple[list[str], float]],
    cap: int,
    tokens: tuple[TokenScore, ...],
) -> Generated:
    """One text's hypotheses (token texts, score), best first, as the generate path returns them."""
    ids = [[fast.ids[token] for token in tokens] for tokens, _ in hypotheses]
    texts = loaded.tokenizer.batch_decode(ids, skip_special_tokens=True)
    best, best_tokens = ids[0], hypotheses[0][0]
    return Generated(
        hypotheses=[Hypothesis(text.strip(), float(score)) for text, (_, score) in zip(texts, hypotheses, strict=True)],
        ids=[fast.start_id, *best],
        new_tokens=len(best),
        truncated=not best_tokens or best_tokens[-1] not in fast.end_tokens,
        max_new_tokens=cap,
        tokens=tokens,
    )
