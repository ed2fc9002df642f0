"""beam_search_tree(): the tree that generate()'s beam search really searched, for one chunk of text.

Recorded from generate's own run, never re-implemented: a logits processor sees, at every step, the
rows generate kept (their token sequences, so each row's parent is known) and their next-token
log-probs, from which each row's top candidates are taken; a stopping criterion sees the candidates
generate ranked, best first, so the ones that finished are known. The run goes through the one
generate path's options and caps (generation.py, engines/transformers.py), so the tree's best
hypothesis is translate()'s for the same chunk and settings. It runs on transformers, at the precision
that explains translate()'s output for the same ``precision`` and ``engine`` (engines/choice.py): the same
numbers, except CTranslate2's int8, which has no transformers copy (the tree then says so in one line).
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
) -> BeamTree:
    """The search generate() ran on ``text`` (one chunk: a sentence, or a chunk's source from translate()), for
    the translation translate() makes with the same ``precision`` and ``engine``. With ``prefix_tokens`` (target
    token texts, as steer() takes them), the search steer() ran instead: those tokens forced, then beam search."""
    started = time.perf_counter()
    text_arg("sentence for the beam search tree", text, get_settings().max_chars_translate)
    options = generation_options(num_beams, 1, length_penalty, no_repeat_ngram_size)
    precision, note = explaining(engine_to_run(model, precision, engine), precision)
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
        **run_info(loaded, started, warnings),
    )


def candidates_per_beam(num_beams: int) -> int:
    """Each beam's top candidates recorded per step: the beam width, and at least 2 so greedy shows a runner-up."""
    return max(2, num_beams)


def _search(
    loaded: LoadedModel, text: str, cap: int, options: GenerationOptions, forced: list[int]
) -> tuple[list[BeamNode], list[BeamHypothesis]]:
    eos = loaded.model.generation_config.eos_token_id
    eos_ids = frozenset([eos] if isinstance(eos, int) else (eos or []))
    recorder = _Recorder(options.num_beams, cap, eos_ids)
    # every finished beam comes back (not only the best): num_return_sequences changes the output, not the search
    every = dataclasses.replace(options, num_return_sequences=options.num_beams)
    with torch.inference_mode():
        out = loaded.model.generate(
            **engine.encode(loaded, [text]),
            **engine.generation_kwargs(every, cap),
            # steering's own processor (engines/prefix.py), before the recorder: the tree is the search it ran
            logits_processor=LogitsProcessorList(
                [ForcedPrefix([forced], options.num_beams, list(eos_ids)), _RowsSeen(recorder)]
            ),
            stopping_criteria=StoppingCriteriaList(
                [engine.NewTokenCaps(torch.tensor([cap], device=loaded.device), 1), _CandidatesSeen(recorder)]
            ),
        )
    lengths, ended = engine.generated_lengths(out.sequences, [cap], every.num_return_sequences, list(eos_ids))
    scores = engine.sequence_scores(loaded.model, out, lengths, every)
    returned: dict[Prefix, float] = {}
    for row, length in enumerate(lengths):
        prefix = tuple(out.sequences[row, : 1 + length].tolist())
        returned.setdefault(prefix, scores[row])
        recorder.finish(prefix)  # also the ones a time limit stopped, which the criteria above can't tell
    recorder.keep_last_beams()
    return recorder.tree(loaded.tokenizer, options.length_penalty, returned)


class _Recorder:
    """Nodes keyed by their token prefix, filled in as generate calls the two hooks below."""

    def __init__(self, num_beams: int, cap: int, eos_ids: frozenset[int]) -> None:
        self.num_beams = num_beams
        self.cap = cap
        self.eos_ids = eos_ids
        self.nodes: dict[Prefix, dict[str, Any]] = {}  # insertion order: parents before children
        self.rows: dict[Prefix, int] = {}  # this step's beams -> their row in self.scores
        self.scores: torch.Tensor | None = None  # (rows, vocab) log-probs of this step's next token
        self.candidates: list[Prefix] = []  # this step's candidates, as generate ranked them

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

    def tree(
        self, tokenizer: Any, length_penalty: float, returned: dict[Prefix, float]
    ) -> tuple[list[BeamNode], list[BeamHypothesis]]:
        ids = {prefix: i for i, prefix in enumerate(self.nodes)}
        names = engine.token_names(tokenizer, {p[-1] for p in self.nodes})
        nodes = [
            BeamNode(
                id=ids[prefix],
                parent=ids[node["parent"]] if node["parent"] is not None else None,
                step=len(prefix) - 1,
                token=names[prefix[-1]],
                logprob=float(node["logprob"]),
                cumulative=float(node["cumulative"]),
                kept=node["kept"],
                finished=node["finished"],
                token_id=prefix[-1],
            )
            for prefix, node in self.nodes.items()
        ]
        hypotheses = [
            BeamHypothesis(
                node=ids[prefix],
                text=tokenizer.decode(list(prefix), skip_special_tokens=True).strip(),
                # generate's own score where it returned the hypothesis; else the same formula on the node
                score=returned.get(prefix, rescore(float(node["cumulative"]), len(prefix) - 1, length_penalty)),
                logprob=float(node["cumulative"]),
                length=len(prefix) - 1,
                ended=prefix[-1] in self.eos_ids,
            )
            for prefix, node in self.nodes.items()
            if node["finished"]
        ]
        hypotheses.sort(key=lambda h: -h.score)
        return nodes, hypotheses


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
