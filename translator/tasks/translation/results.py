"""What translation gives back: chunks with their n-best lists and token confidences, beam trees,
comparisons and coverage. Plain frozen dataclasses; the functions that make them live beside this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...core.results import RunInfo
from ...text.chunking import Chunk

# omission flags (tasks/translation/omissions.py decides them): the codes, and the one wording of each that the
# warning, the chunk viewer and Compare all use
SENTENCE_COUNT = "sentence_count"
LENGTH_RATIO = "length_ratio"
TRUNCATED = "truncated"
FLAG_TEXTS = {
    SENTENCE_COUNT: "fewer sentences than the source",
    LENGTH_RATIO: "much shorter or longer than the source",
    TRUNCATED: "cut short",
}


@dataclass(frozen=True)
class Hypothesis:
    text: str
    # sum of token log-probs / (generated tokens ** length_penalty): generate()'s beam score (greedy: same formula)
    score: float


@dataclass(frozen=True)
class TokenScore:
    """One generated token of the best hypothesis: its text, its probability, and the runners-up at that step."""

    text: str
    prob: float
    alternatives: tuple[tuple[str, float], ...] = ()  # (token, probability), most likely first, never the chosen one
    special: bool = False  # a special token (</s>): no word of the text
    # decoded in context by the tokenizer (engines/base.py's in_context); None/() where it wasn't: what this token
    # adds to the text ("Haus" after "▁Das" is " Haus", "." is "."), and the word each alternative would have
    # made in its place (the word's earlier pieces and the alternative: "Leser", not "ser"; "" for an end token)
    shown: str | None = None
    words: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class TranslatedChunk(Chunk):
    """A chunk of the source (its fields) and what the model made of it."""

    hypotheses: list[Hypothesis]  # best first
    truncated: bool  # the best hypothesis hit the new-token limit or the time limit before ending
    new_tokens: int = 0  # tokens generated for the best hypothesis (end-of-sequence included)
    max_new_tokens: int = 0  # the cap this chunk ran under
    tokens: tuple[TokenScore, ...] = ()  # per generated token of the best hypothesis, when the engine reports it
    flags: tuple[str, ...] = ()  # short codes for a possible omission ("truncated", "length_ratio", ...)
    # the source's sentences wholly inside this chunk, as the whole text was cut (0: a piece of a cut sentence)
    source_sentences: int = 1
    length_ratio: float = 1.0  # non-whitespace characters of the best hypothesis per one of the source

    @property
    def source(self) -> str:
        return self.text

    @property
    def best(self) -> str:
        """The best hypothesis's text; "" when there is none."""
        return self.hypotheses[0].text if self.hypotheses else ""

    @property
    def retryable(self) -> bool:
        """Whether translating it again sentence by sentence (``retry_flagged``) may change it: flagged, and
        holding several sentences."""
        return bool(self.flags) and self.source_sentences > 1

    @property
    def flag_notes(self) -> tuple[str, ...]:
        """The flags in words (FLAG_TEXTS), the length flag with this chunk's own ratio."""
        ratio = f" ({self.length_ratio:.2f}x its length)"
        return tuple(FLAG_TEXTS.get(flag, flag) + (ratio if flag == LENGTH_RATIO else "") for flag in self.flags)


@dataclass(frozen=True, eq=False)
class TranslationResult(RunInfo):
    text: str  # the best hypotheses joined in document order
    chunks: list[TranslatedChunk]
    source: str = ""
    num_beams: int = 1
    # the rest of the decoding it ran with (translate()'s arguments), so a view can tell whether it explains it
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    decoding: str = "beam"  # beam (1 beam: greedy), sampling or diverse
    max_chunk_tokens: int = 0
    batches: int = 0
    pack_sentences: bool = False
    languages: tuple[str, str] = ("en", "en")  # source, target: how each side was cut into sentences

    @property
    def retryable(self) -> bool:
        """Whether ``retry_flagged`` may change this translation: a packed chunk of it is retryable."""
        return self.pack_sentences and any(chunk.retryable for chunk in self.chunks)


@dataclass(frozen=True)
class BeamNode:
    """One token generate considered: a beam it kept, a finished hypothesis, or a pruned candidate."""

    id: int  # its index in BeamTree.nodes
    parent: int | None  # None for the root, the decoder start token
    step: int  # tokens generated up to and including this one (the root is step 0)
    token: str  # as the tokenizer spells it, sub-word marks included ("▁Haus", "##s")
    logprob: float  # log-probability of the token after its parent, as generate scored it (processors applied)
    cumulative: float  # the parent's cumulative + logprob (float32, added in generate's order)
    kept: bool  # generate kept it: a beam it carried on, or a finished hypothesis; False: a pruned candidate
    finished: bool  # generate took it as a finished hypothesis: ended with </s> (or hit the new-token cap)
    token_id: int = -1
    group: int = 0  # diverse beam search: the beam group (0-based) whose search it belongs to; the root is shared


@dataclass(frozen=True)
class BeamHypothesis:
    node: int  # id of its last node
    text: str
    score: float  # generate's final score: cumulative log-prob / length ** length_penalty
    logprob: float  # cumulative log-prob of the whole hypothesis
    length: int  # generated tokens, </s> included
    ended: bool  # ended with </s>; False: stopped at the new-token cap or the time limit


@dataclass(frozen=True, eq=False)
class BeamTree(RunInfo):
    nodes: list[BeamNode]  # root first; a parent always comes before its children
    # every hypothesis the search finished, best first: the first num_beams are generate's n-best in its order (the
    # first is translate()'s), the rest finished too but lost their place in it to better ones
    hypotheses: list[BeamHypothesis]
    source: str = ""
    num_beams: int = 1
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0
    max_new_tokens: int = 0  # the new-token cap this chunk ran under
    candidates_per_beam: int = 0  # top candidates recorded per kept beam and step (the pruned ones are kept=False)
    steps: int = 0  # generate's steps (the deepest node's step)
    # "beam"; "diverse" (num_beam_groups searches, one after another, nodes by BeamNode.group); or "sampling" (the
    # kept nodes are the tokens drawn, the pruned ones the likeliest not drawn; seed None: an unseeded draw)
    decoding: str = "beam"
    num_beam_groups: int = 1
    diversity_penalty: float = 0.0
    seed: int | None = None


@dataclass(frozen=True)
class DiffOp:
    """One step of the word-level diff of A's text into B's (difflib's opcodes)."""

    tag: str  # equal | replace | delete (words only A has) | insert (words only B has)
    a_words: tuple[str, ...]
    b_words: tuple[str, ...]


@dataclass(frozen=True)
class Segment:
    """A stretch of the source both sides translated as whole chunks, and what each made of it."""

    index: int
    char_start: int
    char_end: int
    source: str
    a_text: str
    b_text: str
    a_chunks: tuple[int, ...]  # indices into Comparison.a.chunks
    b_chunks: tuple[int, ...]
    diff: tuple[DiffOp, ...]
    chrf: float  # chrF of A's text with B's as the reference; 100 when they are the same
    a_flags: tuple[str, ...]  # omission flags of the side's chunks here
    b_flags: tuple[str, ...]
    reference: str | None = None  # the reference sentences for this segment (aligned references only)
    a_chrf: float | None = None  # chrF of each side against ``reference``
    b_chrf: float | None = None

    @property
    def same(self) -> bool:
        return self.a_text == self.b_text


@dataclass(frozen=True)
class SideScores:
    bleu: float
    chrf: float


@dataclass(frozen=True)
class ReferenceScores:
    """sacreBLEU's corpus scores of each side against the reference."""

    a: SideScores
    b: SideScores
    bleu_signature: str
    chrf_signature: str
    aligned: bool  # True: scored segment by segment; False: each whole translation as one segment
    note: str  # how the reference was lined up with the source


@dataclass(frozen=True, eq=False)
class Comparison(RunInfo):
    a: TranslationResult
    b: TranslationResult
    a_config: dict[str, Any]
    b_config: dict[str, Any]
    segments: list[Segment]
    chrf_between: float  # corpus chrF of A's segments with B's as the reference; 100 when identical
    chrf_signature: str
    scores: ReferenceScores | None  # None without a reference
    reference: str | None = None


@dataclass(frozen=True, eq=False)
class Coverage(RunInfo):
    source: str
    translation: str  # the generated text the attention was taken on
    tokens: list[str]  # the source's content tokens (special tokens left out)
    spans: list[tuple[int, int]]  # each token's characters in ``source``
    received: list[float]  # each token's share of the attention over content tokens; sums to 1
    low: list[bool]  # received < threshold / len(tokens)
    threshold: float
    num_beams: int
    cut: str  # "" or one sentence on what the attention token cap cut


@dataclass(frozen=True, eq=False)
class SteeredTranslation(RunInfo):
    """One chunk translated twice: as the model would, and with the start of its output forced (steer())."""

    source: str
    original: Hypothesis  # the model's own translation, as translate() gives it
    steered: Hypothesis  # the forced start and the model's continuation; score over every token, forced ones too
    forced: tuple[str, ...]  # the prefix as forced, one target token text each ("▁Haus", "##s")
    forced_logprob: float  # the model's log-probability of the forced tokens, each after the ones before it
    tokens: tuple[TokenScore, ...]  # the steered output's tokens (forced ones first), as TranslatedChunk.tokens
    flags: tuple[str, ...]  # the steered output's omission flags (FLAG_TEXTS)
    changes: tuple[DiffOp, ...]  # word diff of the original into the steered translation
    truncated: bool = False  # the steered output hit its new-token cap before ending
    max_new_tokens: int = 0  # the cap both ran under; the forced tokens count toward it
    num_beams: int = 1
    length_penalty: float = 1.0
