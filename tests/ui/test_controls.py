"""The controls' own logic, without a browser: the n-best bound, the language pair, attention's view fixes, the
availability line's glyphs."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from matplotlib.ft2font import FT2Font

from ui.attention import kind_for_view, pair_for_text
from ui.common import availability, n_best_bound
from ui.translate_languages import ANY, language_choices, models_for, pair_of, swapped

ROOT = Path(__file__).resolve().parents[2]


def test_one_beam_fixes_n_best_at_one_in_a_slider_gradio_accepts():
    greedy = n_best_bound(1, 3)
    assert greedy.minimum < greedy.maximum  # gradio refuses min == max with a server error
    assert greedy.value == 1 and greedy.interactive is False
    wide = n_best_bound(4, 3)
    assert (wide.maximum, wide.value, wide.interactive) == (4, 3, True)
    assert n_best_bound(2, 3).value == 2


def test_n_best_reaches_the_most_samples_under_sampling_and_is_clamped_back_to_the_beams(tiny):
    from translator import InputError, get_settings
    from translator.tasks.translation.generation import generation_options

    most = get_settings().max_top_k
    state = {"num_beams": 4, "wanted": 1, "decoding": "beam"}
    # one order of changes a user may make: Beams 1, sampling, n-best up, Beams 3, back to beam, Beams 1, sampling
    changes = [
        {"wanted": 3},
        {"num_beams": 1},
        {"decoding": "sampling"},
        {"wanted": most},
        {"num_beams": 3},
        {"decoding": "beam"},
        {"num_beams": 1},
        {"decoding": "sampling"},
    ]
    maxima = []
    for change in changes:
        state |= change
        slider = n_best_bound(**state)
        state["wanted"] = slider.value  # the slider shows the clamped value; the next change starts from it
        assert 1 <= slider.value <= slider.maximum and slider.maximum >= 2  # gradio refuses min == max
        # what the slider allows is what translate() takes: its maximum, no more
        allowed = generation_options(state["num_beams"], slider.value, decoding=state["decoding"]).num_return_sequences
        assert allowed == slider.value
        if slider.interactive:
            generation_options(state["num_beams"], slider.maximum, decoding=state["decoding"])
            with pytest.raises(InputError):
                generation_options(state["num_beams"], slider.maximum + 1, decoding=state["decoding"])
        maxima.append((slider.maximum, slider.value, slider.interactive))
    assert maxima == [
        (4, 3, True),
        (2, 1, False),
        (most, 1, True),
        (most, most, True),
        (most, most, True),  # Beams do not bound samples
        (3, 3, True),  # back to beam search: clamped to the beams
        (2, 1, False),
        (most, 1, True),
    ]


def test_the_language_pair_filters_the_models_and_the_swap_picks_the_other_way(tiny):
    assert ("English", "en") in language_choices(0) and language_choices(1)[0] == ("Any", ANY)
    en_de = models_for("en", "de", None)
    keys = [key for _, key in en_de.choices]
    assert {"tiny-marian", "opus-mt-en-de", "bert2bert-en-de"} <= set(keys) and "opus-mt-de-en" not in keys
    assert en_de.value == "tiny-marian" and not en_de.note  # the one that can run here comes first
    assert models_for("en", "de", "opus-mt-en-de").value == "opus-mt-en-de"  # a fitting choice stays
    source, target, dropdown, note = swapped("en", "de", "tiny-marian")
    assert (source, target) == ("de", "en") and dropdown.value in {"opus-mt-de-en", "bert2bert-de-en"}
    assert all(key.endswith("de-en") for _, key in dropdown.choices) and note == ""
    assert pair_of("opus-mt-de-en") == ("de", "en")
    nothing = models_for("de", "de", "tiny-marian")
    assert nothing.note.startswith("No listed model translates German → German") and len(nothing.choices) > 2


def test_rollout_offers_no_cross_attention_and_clearing_sentence_b_resets_the_pair_filter():
    rolled = kind_for_view("rollout", "cross")
    assert rolled.value == "encoder" and "cross" not in [value for _, value in rolled.choices]
    assert kind_for_view("rollout", "decoder").value == "decoder"
    assert "cross" in [value for _, value in kind_for_view("heatmap", "encoder").choices]
    assert pair_for_text("  ", "A->B") == "all"
    assert pair_for_text("It slept.", "A->B") != "all"


def dejavu_glyphs() -> set[int]:
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {
        code for name in ("DejaVuSans.ttf", "DejaVuSansMono.ttf") for code in FT2Font(str(fonts / name)).get_charmap()
    }


def test_every_symbol_the_ui_writes_has_a_glyph_in_the_dejavu_fonts(tiny):
    """Many Linux machines have only DejaVu: a symbol outside it draws as an empty box (✅ did)."""
    glyphs = dejavu_glyphs()
    sources = [*sorted((ROOT / "ui").glob("*.py")), *sorted((ROOT / "translator" / "render").glob("*.py"))]
    written = {char for path in sources for char in path.read_text(encoding="utf-8") if ord(char) > 0x2000}
    written |= set(availability("tiny-marian", "translation"))
    missing = sorted(f"{char} U+{ord(char):04X}" for char in written if ord(char) not in glyphs and ord(char) != 0xFE0F)
    assert missing == []


def test_a_model_that_cannot_run_says_why_in_a_sentence(tiny):
    line = availability("opus-mt-de-en", "translation")
    assert line.startswith("⚠️ `opus-mt-de-en`: ") and line.endswith(".")
    assert availability("tiny-marian", "translation").startswith("✔ `tiny-marian`: ")


def test_the_decoding_controls_reach_translate_and_show_only_the_chosen_decoding_s_options(tiny):
    from ui.translate_options import CONTROLS, DECODING_CONTROLS, decoding_shown, translate_options

    controls = dict.fromkeys(CONTROLS, 1) | {"model": "tiny-marian", "max_chunk_tokens": 0, "pack_sentences": False}
    controls |= {"decoding": "sampling", "temperature": 0.7, "top_k": 5, "top_p": 0.9, "seed": 3.0}
    options = translate_options(controls)
    assert {name: options[name] for name in DECODING_CONTROLS} == {
        "decoding": "sampling",
        "temperature": 0.7,
        "top_k": 5,
        "top_p": 0.9,
        "seed": 3,
        "num_beam_groups": 1,
        "diversity_penalty": 1,
    }
    assert translate_options(controls | {"seed": -1})["seed"] is None  # -1: a new draw each time
    shown = {mode: [column.visible for column in decoding_shown(mode)] for mode in ("beam", "sampling", "diverse")}
    assert shown == {"beam": [False, False], "sampling": [True, False], "diverse": [False, True]}
