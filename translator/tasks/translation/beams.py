"""beam_search_tree(): the tree that generate()'s search really searched, for one chunk of text.

Recorded from generate's own run, never re-implemented: a logits processor sees, at every step, the
rows generate kept (their token sequences, so each row's parent is known) and their next-token
log-probs, from which each row's top candidates are taken; a stopping criterion sees the candidates
generate ranked, best first, so the ones that finished are known. The run goes through the one
generate path's options and caps (generation.py, engines/transformers.py), so the tree's best
hypothesis is translate()'s for the same chunk and settings. It runs on transformers, at the precision
that explains translate()'s output for the same ``precision`` and ``engine`` (engines/choice.py): the same
numbers, except CTranslate2's int8, which has no transformers copy (the tree then says so in one line).

Diverse beam search runs its groups one after another, as the engine does (engines/diverse.py): one recorder per
group, each node marked with its group. Sampling has no search to watch: its draws are read back from the scores
generate drew them from, with the seed and the number of draws translate() uses, so a seeded one-chunk translation
on transformers is the same draw.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from transformers import LogitsProcessor, LogitsProcessorList, StoppingCriteria, StoppingCriteriaList

from ...core.checks import int_arg, text_arg
from ...core.errors import InputError
from ...core.limits import content_limit, new_token_limit
from ...core.loading import LoadedModel, load_model
from ...core.results import run_info
from ...core.settings import get_settings
from ...text.chunking import plan_chunks
from .engines import transformers as engine
from .engines.base import GenerationOptions
from .engines.choice import engine_to_run, explaining
from .engines.diverse import group_runs
from .engines.prefix import ForcedPrefix
from .generation import generation_options, new_token_cap
from .results import BeamHypothesis, BeamNode, BeamTree
from .steer import forced_tokens

Prefix = tuple[int, ...]  # token ids from the decoder start token on


def beam_search_tree(
    text: str,
    *,
    model: str = "opus-mt-en-de",
    num_beams: int = 4,
    length_penalty: float = 1.0,
    no_repeat_ngram_size: int = 0,
    max_new_tokens: int | None = None,
    precision: str = "auto",
    engine: str = "auto",
    prefix_tokens: Sequence[str] | None = None,
    num_return_sequences: int = 1,
    decoding: str = "beam",
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    seed: int | None = None,
    num_beam_groups: int = 1,
    diversity_penalty: float = 0.0,
) -> BeamTree:
    """The search generate() ran on ``text`` (one chunk: a sentence, or a chunk's source from translate()), for
    the translation translate() makes with the same options, ``precision`` and ``engine``. With ``prefix_tokens``
    (target token texts, as steer() takes them), the search steer() ran instead: those tokens forced, then beam
    search. ``decoding`` and its options are translate()'s: "diverse" draws each group's search, "sampling" the
    draws (``num_return_sequences`` sets how many, as in translate())."""
    started = time.perf_counter()
    text_arg("sentence for the beam search tree", text, get_settings().max_chars_translate)
    options = generation_options(
        num_beams,
        num_return_sequences,
        length_penalty,
        no_repeat_ngram_size,
        decoding=decoding,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        num_beam_groups=num_beam_groups,
        diversity_penalty=diversity_penalty,
    )
    precision, note = explaining(engine_to_run(model, precision, engine, options.decoding), precision)
    loaded = load_model(model, "translation", precision)
    language = loaded.spec.languages[0] if loaded.spec.languages else "en"
    # packed up to the model's limit: any chunk translate() made, packed or not, comes back as one chunk
    chunks = plan_chunks(text, loaded.tokenizer, max_tokens=content_limit(loaded), language=language, pack=True)
    if len(chunks) != 1:
        raise InputError(
            f"The beam search tree shows one chunk at a time and this text makes {len(chunks)}; "
            "pass one sentence or one chunk of a translation."
        )
    chunk = chunks[0]
    ceiling = new_token_limit(loaded.model.config, options.max_new_tokens)
    cap = new_token_cap(chunk.n_tokens, ceiling)
    if max_new_tokens is not None:
        cap = int_arg("The new-token limit", max_new_tokens, 1, ceiling)
    forced = forced_tokens(loaded.tokenizer, None, prefix_tokens or (), cap)
    nodes, hypotheses = _search(loaded, chunk.text, cap, options, loaded.tokenizer.convert_tokens_to_ids(forced))
    warnings = [note] if note else []
    if forced:
        warnings.append(
            f"The first {len(forced)} token(s) were forced ({' '.join(forced)}), each scored as certain (log-prob 0) "
            "as the steered search ranks them; the search continued from there."
        )
    if hypotheses and not hypotheses[0].ended:
        warnings.append(
            f"The best hypothesis stopped before the model ended the sentence (at {hypotheses[0].length} new "
            "tokens, the limit, or at the time limit), so it may be cut short."
        )
    notes = [sampling_note(options, len(hypotheses))] if options.decoding == "sampling" else []
    return BeamTree(
        nodes=nodes,
        hypotheses=hypotheses,
        source=chunk.text,
        num_beams=options.num_beams,
        length_penalty=options.length_penalty,
        no_repeat_ngram_size=options.no_repeat_ngram_size,
        max_new_tokens=cap,
        candidates_per_beam=candidates_per_beam(options.num_beams),
        steps=max(n.step for n in nodes),
        decoding=options.decoding,
        num_beam_groups=options.num_beam_groups,
        diversity_penalty=options.diversity_penalty,
        seed=options.seed,
        **run_info(loaded, started, warnings, notes=notes),
    )


def sampling_note(options: GenerationOptions, samples: int) -> str:
    """What a sampled tree shows, and when it is the draw behind the translation shown."""
    seed = f"seed {options.seed}" if options.seed is not None else "no seed, so a new draw each time"
    return (
        f"Sampling has no search: the tree shows the {samples} distinct sample(s) among the "
        f"{engine.rows_per_text(options)} draw(s) one run made for this chunk ({seed}). It is the draw behind a "
        "translation only with the same seed, on the transformers engine, for a text of this one chunk."
    )


def candidates_per_beam(num_beams: int) -> int:
    """Each beam's top candidates recorded per step: the beam width, and at least 2 so greedy shows a runner-up."""
    return max(2, num_beams)


def _search(
    loaded: LoadedModel, text: str, cap: int, options: GenerationOptions, forced: list[int]
) -> tuple[list[BeamNode], list[BeamHypothesis]]:
    eos = loaded.model.generation_config.eos_token_id
    eos_ids = frozenset([eos] if isinstance(eos, int) else (eos or []))
    if options.decoding == "diverse":
        runs = [
            _run(loaded, text, cap, group, forced, eos_ids, [diversity]) for group, diversity in group_runs(options, 1)
        ]
    else:
        runs = [_run(loaded, text, cap, options, forced, eos_ids, [])]
    return _tree(runs, loaded.tokenizer, options.length_penalty)


def _run(
    loaded: LoadedModel,
    text: str,
    cap: int,
    options: GenerationOptions,
    forced: list[int],
    eos_ids: frozenset[int],
    processors: list[LogitsProcessor],
) -> _Recorder:
    """One generate() run, recorded: a beam search (or one group's), or sampling's draws."""
    recorder = _Recorder(options.num_beams, cap, eos_ids)
    sampling = options.decoding == "sampling"
    # beam search: every finished beam comes back (num_return_sequences changes the output, not the search);
    # sampling: as many draws as translate() makes, so that a seed draws the same ones
    every = options if sampling else dataclasses.replace(options, num_return_sequences=options.num_beams)
    rows = engine.rows_per_text(every)
    # sampling's temperature, top-k and top-p come after every processor passed in: no hook sees what it drew from
    hooks = [] if sampling else [_RowsSeen(recorder)]
    with torch.inference_mode(), engine.seeded(options.seed, loaded.device):
        out = loaded.model.generate(
            **engine.encode(loaded, [text]),
            **engine.generation_kwargs(every, cap),
            # steering's own processor (engines/prefix.py) and diversity's, before the recorder: the tree is the
            # search they ran
            logits_processor=LogitsProcessorList([ForcedPrefix([forced], rows, list(eos_ids)), *processors, *hooks]),
            stopping_criteria=StoppingCriteriaList(
                [
                    engine.NewTokenCaps(torch.tensor([cap], device=loaded.device), 1),
                    *([] if sampling else [_CandidatesSeen(recorder)]),
                ]
            ),
        )
    lengths, _ = engine.generated_lengths(out.sequences, [cap], rows, list(eos_ids))
    if sampling:
        recorder.replay(out.sequences, out.scores, lengths)
    scores = engine.sequence_scores(loaded.model, out, lengths, every)
    for row, length in enumerate(lengths):
        prefix = tuple(out.sequences[row, : 1 + length].tolist())
        recorder.returned.setdefault(prefix, scores[row])
        recorder.finish(prefix)  # also the ones a time limit stopped, which the criteria above can't tell
    recorder.keep_last_beams()
    return recorder


class _Recorder:
    """Nodes keyed by their token prefix, filled in as generate calls the two hooks below (sampling: replay)."""

    def __init__(self, num_beams: int, cap: int, eos_ids: frozenset[int]) -> None:
        self.num_beams = num_beams
        self.cap = cap
        self.eos_ids = eos_ids
        self.nodes: dict[Prefix, dict[str, Any]] = {}  # insertion order: parents before children
        self.rows: dict[Prefix, int] = {}  # this step's beams -> their row in self.scores
        self.scores: torch.Tensor | None = None  # (rows, vocab) log-probs of this step's next token
        self.candidates: list[Prefix] = []  # this step's candidates, as generate ranked them
        self.returned: dict[Prefix, float] = {}  # the hypotheses generate returned, with its score

    def rows_seen(self, input_ids: torch.Tensor, scores: torch.Tensor) -> None:
        """generate's beams at the start of a step (their last tokens: the beams it kept) and their log-probs."""
        rows = [tuple(r) for r in input_ids.tolist()]
        if not self.nodes:
            self.nodes[rows[0]] = _node(None, rows[0][-1], 0.0, np.float32(0.0))
        for prefix in dict.fromkeys(rows):
            self._node(prefix)["kept"] = True
        self.rows = {}
        for row, prefix in enumerate(rows):
            self.rows.setdefault(prefix, row)  # step 0: every row is the start token; generate uses the first
        self.scores = scores.detach().float().clone()
        top = self.scores[list(self.rows.values())].topk(min(candidates_per_beam(self.num_beams), scores.shape[-1]))
        for prefix, values, ids in zip(self.rows, top.values.tolist(), top.indices.tolist(), strict=True):
            for value, token in zip(values, ids, strict=True):
                if np.isfinite(value):  # a token a processor ruled out (-inf) was never a candidate
                    self._node((*prefix, token))

    def replay(self, sequences: torch.Tensor, scores: tuple[torch.Tensor, ...], lengths: list[int]) -> None:
        """Sampling's steps from what generate returned: at each, the draws still running and the log-probs they
        drew from (a draw that ended is padded after its end: not a step of it)."""
        for t, step in enumerate(scores):
            running = [row for row, length in enumerate(lengths) if length > t]
            if not running:
                return
            self.rows_seen(sequences[running, : 1 + t], torch.log_softmax(step[running].float(), dim=-1))
            for row in running:  # the token each draw took, while its step's log-probs are at hand
                self._node(tuple(sequences[row, : 2 + t].tolist()))["kept"] = True

    def candidates_seen(self, input_ids: torch.Tensor) -> None:
        """The step's candidates, best first; those among the first num_beams that stop are finished hypotheses."""
        self.candidates = [tuple(r) for r in input_ids.tolist()]
        for prefix in self.candidates[: self.num_beams]:
            if self._stops(prefix):
                self.finish(prefix)

    def finish(self, prefix: Prefix) -> None:
        self._node(prefix).update(kept=True, finished=True)

    def keep_last_beams(self) -> None:
        """The live beams generate held when it stopped (no later step shows them): its best candidates still open.

        (Past those, generate fills its beams with stopped candidates scored -1e9: dead rows, not drawn as kept.)
        """
        live = [prefix for prefix in self.candidates if not self._stops(prefix)]
        for prefix in live[: self.num_beams]:
            self._node(prefix)["kept"] = True

    def _stops(self, prefix: Prefix) -> bool:
        return prefix[-1] in self.eos_ids or len(prefix) - 1 >= self.cap

    def _node(self, prefix: Prefix) -> dict[str, Any]:
        """The node for ``prefix``, made from its parent (one of this step's beams) when first seen."""
        if prefix not in self.nodes:
            parent = self.nodes[prefix[:-1]]
            logprob = np.float32(self.scores[self.rows[prefix[:-1]], prefix[-1]].item())
            self.nodes[prefix] = _node(prefix[:-1], prefix[-1], logprob, parent["cumulative"] + logprob)
        return self.nodes[prefix]


def _tree(runs: list[_Recorder], tokenizer: Any, length_penalty: float) -> tuple[list[BeamNode], list[BeamHypothesis]]:
    """The recorded runs (one, or one per beam group) as one tree from a shared root: every node, then every finished
    hypothesis, those generate returned first (best first), then those it dropped for better ones."""
    root = next(iter(runs[0].nodes))
    keys = [(0, root)] + [(group, prefix) for group, run in enumerate(runs) for prefix in run.nodes if prefix != root]
    ids = {key: i for i, key in enumerate(keys)} | {(group, root): 0 for group in range(len(runs))}
    names = engine.token_names(tokenizer, {prefix[-1] for _, prefix in keys})
    nodes = []
    for group, prefix in keys:
        node = runs[group].nodes[prefix]
        nodes.append(
            BeamNode(
                id=ids[group, prefix],
                parent=ids[group, node["parent"]] if node["parent"] is not None else None,
                step=len(prefix) - 1,
                token=names[prefix[-1]],
                logprob=float(node["logprob"]),
                cumulative=float(node["cumulative"]),
                kept=node["kept"],
                finished=node["finished"],
                token_id=prefix[-1],
                group=group,
            )
        )
    finished = []
    for group, prefix in keys:
        node, run = runs[group].nodes[prefix], runs[group]
        if not node["finished"]:
            continue
        hypothesis = BeamHypothesis(
            node=ids[group, prefix],
            text=tokenizer.decode(list(prefix), skip_special_tokens=True).strip(),
            # generate's own score where it returned the hypothesis; else the same formula on the node
            score=run.returned.get(prefix, rescore(float(node["cumulative"]), len(prefix) - 1, length_penalty)),
            logprob=float(node["cumulative"]),
            length=len(prefix) - 1,
            ended=prefix[-1] in run.eos_ids,
        )
        finished.append((prefix not in run.returned, -hypothesis.score, hypothesis))
    finished.sort(key=lambda item: item[:2])
    return nodes, [hypothesis for *_, hypothesis in finished]


def _node(parent: Prefix | None, token: int, logprob: np.float32, cumulative: np.float32) -> dict[str, Any]:
    return dict(parent=parent, token=token, logprob=logprob, cumulative=cumulative, kept=False, finished=False)


def rescore(logprob: float, length: int, length_penalty: float) -> float:
    """A finished hypothesis's score under ``length_penalty``, in generate's arithmetic (float32)."""
    return float(torch.tensor(logprob, dtype=torch.float32) / (length**length_penalty))


def reranked(tree: BeamTree, length_penalty: float) -> list[BeamHypothesis]:
    """The finished hypotheses scored and ranked under another length penalty, best first.

    Only re-ranks what this search finished: under that penalty generate itself might have kept other beams.
    """
    rescored = [dataclasses.replace(h, score=rescore(h.logprob, h.length, length_penalty)) for h in tree.hypotheses]
    return sorted(rescored, key=lambda h: -h.score)


class _RowsSeen(LogitsProcessor):
    """Last in generate's processor list: records the beams and their (processed) next-token log-probs."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder

    def __call__(self, input_ids: torch.LongTensor, scores: torch.Tensor) -> torch.Tensor:
        # beam search hands processors log-probs; greedy search hands them logits, so normalise those
        greedy = self.recorder.num_beams == 1
        self.recorder.rows_seen(input_ids, torch.log_softmax(scores.float(), dim=-1) if greedy else scores)
        return scores


class _CandidatesSeen(StoppingCriteria):
    """Records the candidates generate ranked at this step; never stops anything itself."""

    def __init__(self, recorder: _Recorder) -> None:
        self.recorder = recorder

    def __call__(self, input_ids: torch.LongTensor, scores: Any, **kwargs: Any) -> torch.Tensor:
        self.recorder.candidates_seen(input_ids)
        return torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
