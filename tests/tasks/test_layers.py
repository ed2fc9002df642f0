"""embed_layers() and word_across_layers(): hidden states as the model gives them, words pooled over their pieces,
the limits; on the bundled MiniLM (real weights) and on the tiny models."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

import translator
from translator import OFFLINE_MINILM, InputError, embed_layers, follow_word, get_registry, word_across_layers
from translator.tasks.layers import layer_tokens, token_map, token_similarity

# two senses of "bank": T1 and T4 by a river, T2 and T3 at a lender
BANK = (
    "He sat on the bank of the river and watched the water.",
    "She went to the bank to deposit her money.",
    "The bank approved the loan for my new house.",
    "We had a picnic on the grassy bank by the stream.",
)
SAME_SENSE = {(0, 3), (1, 2)}
# 4-bit NF4 weights against fp32, measured on tiny-bert and on MiniLM (whose worst token, at layer 6, is 0.96):
# every token's vector keeps this cosine similarity with its fp32 vector at every layer
MIN_4BIT_COSINE = 0.9


@pytest.fixture(scope="module")
def minilm():
    """The bundled all-MiniLM-L6-v2, loaded by transformers directly (not through load_model)."""
    from transformers import AutoModel, AutoTokenizer

    path = get_registry().get(OFFLINE_MINILM).path
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


@pytest.fixture(scope="module")
def bank() -> translator.LayerEmbeddings:
    return embed_layers(BANK, model=OFFLINE_MINILM, precision="fp32")


def test_hidden_states_equal_the_models_own_on_minilm(bank, minilm):
    tokenizer, model = minilm
    assert bank.layers == 6 and bank.has_cls and bank.precision == "fp32"
    for text, states, tokens in zip(BANK, bank.hidden_states, bank.tokens, strict=True):
        inputs = tokenizer(text, return_tensors="pt")
        with torch.inference_mode():
            expected = np.stack([h[0].numpy() for h in model(**inputs, output_hidden_states=True).hidden_states])
        assert states.shape == expected.shape == (7, inputs["input_ids"].shape[1], 384)
        np.testing.assert_allclose(states, expected, atol=1e-5, rtol=0)
        assert [t.text for t in tokens] == tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
        assert tokens[0].special and tokens[-1].special and tokens[0].text == "[CLS]"
        # every content token's offsets cover what it spells (MiniLM lowercases)
        assert all(text[t.start : t.end].lower() == t.text.removeprefix("##") for t in tokens if not t.special)


def test_the_two_senses_of_bank_drift_apart_more_than_one_sense(bank):
    followed = follow_word(bank, "bank")
    assert [o.text_index for o in followed.occurrences] == [0, 1, 2, 3] and followed.missing == ()
    assert followed.similarity.shape == (6, 7)
    upper = {pair: row[-2:].mean() for pair, row in zip(followed.pairs, followed.similarity, strict=True)}
    same = [value for pair, value in upper.items() if pair in SAME_SENSE]
    across = [value for pair, value in upper.items() if pair not in SAME_SENSE]
    assert min(same) > max(across)  # layers 5-6: river-river and money-money stay closer than river-money
    # at the embedding output each "bank" is the same vector plus its position: nearly alike everywhere
    assert followed.similarity[:, 0].min() > 0.95


def test_mean_pooled_last_layer_is_the_sentence_embedding(bank):
    from translator.tasks.embeddings import embed_sentences, sentence_encoder

    vectors = embed_sentences(BANK, sentence_encoder(OFFLINE_MINILM))
    np.testing.assert_allclose(bank.mean_similarity[-1], vectors @ vectors.T, atol=1e-5)


def test_cosine_matrices_are_symmetric_with_a_unit_diagonal(bank):
    tokens = layer_tokens(bank, 3, special=True)
    for matrix in [*bank.mean_similarity, *bank.cls_similarity, token_similarity(tokens)]:
        np.testing.assert_allclose(matrix, matrix.T, atol=1e-12)
        np.testing.assert_allclose(np.diag(matrix), 1.0, atol=1e-6)
    assert len(tokens.labels) == sum(map(len, bank.tokens))
    assert len(layer_tokens(bank, 3).labels) == sum(map(len, bank.tokens)) - 2 * len(BANK)  # no [CLS], [SEP]


def test_the_token_map_is_scikit_learns_pca(bank):
    tokens = layer_tokens(bank, 6)
    expected = PCA(n_components=2).fit_transform(tokens.vectors.astype(np.float64))
    np.testing.assert_allclose(token_map(tokens), expected, atol=1e-6)


def test_a_word_of_several_pieces_is_pooled_over_exactly_them(bank):
    texts = ["Transformers compute embeddings.", "Good embeddings cluster; an embedding is a vector."]
    result = embed_layers(texts, model=OFFLINE_MINILM)
    followed = follow_word(result, "embeddings")  # "embedding" alone is a word of its own, not a match
    assert [(o.text_index, o.start) for o in followed.occurrences] == [(0, 21), (1, 5)]
    for occurrence, vector in zip(followed.occurrences, followed.vectors, strict=True):
        tokens = result.tokens[occurrence.text_index]
        pieces = [tokens[i].text for i in occurrence.token_indices]
        assert len(pieces) > 1 and "".join(p.removeprefix("##") for p in pieces) == "embeddings"
        states = result.hidden_states[occurrence.text_index]
        np.testing.assert_allclose(vector, states[:, list(occurrence.token_indices)].mean(axis=1), atol=1e-6)
    first = follow_word(result, "embeddings", pooling="first")
    index = first.occurrences[0].token_indices[0]
    np.testing.assert_array_equal(first.vectors[0], result.hidden_states[0][:, index])


def test_a_text_without_the_word_is_reported(bank):
    texts = [BANK[0], BANK[1], "The river was cold."]
    followed = word_across_layers(texts, "Bank", model=OFFLINE_MINILM)  # case-insensitive
    assert followed.missing == (2,) and followed.pairs == ((0, 1),)
    assert "“Bank” is not in text 3." in followed.warnings
    with pytest.raises(
        InputError, match=r"^“river” must be in at least two texts to compare, and texts 2, 3 and 4 lack it\.$"
    ):
        follow_word(bank, "river")
    with pytest.raises(InputError, match="texts 1, 2, 3 and 4 lack it"):
        follow_word(bank, "banks")  # whole words only
    with pytest.raises(InputError, match="and there is only one text"):
        word_across_layers(["the bank of the bank"], "bank", model=OFFLINE_MINILM)


def test_4bit_hidden_states_stay_close_to_fp32(tiny):
    texts = ["the house is in the city", "a river runs by the old tower"]
    full = embed_layers(texts, model="tiny-bert", precision="fp32")
    small = embed_layers(texts, model="tiny-bert", precision="4bit")
    assert small.precision == "4bit" and full.precision == "fp32"
    for x, y in zip(full.hidden_states, small.hidden_states, strict=True):
        assert x.shape == y.shape
        cosine = (x * y).sum(-1) / np.linalg.norm(x, axis=-1) / np.linalg.norm(y, axis=-1)  # (layers + 1, tokens)
        assert cosine.min() >= MIN_4BIT_COSINE, cosine.min(axis=1)
        assert not np.array_equal(x, y)  # quantized weights really ran


@pytest.mark.parametrize(("key", "layers"), [("tiny-marian", 2), ("tiny-bert2bert", 2), ("tiny-qa", 2)])
def test_the_encoder_of_translation_and_qa_models(tiny, key, layers):
    from translator import load_model

    text = "the house is in the city"
    result = embed_layers([text, "the city"], model=key)
    task = "qa" if key == "tiny-qa" else "translation"
    loaded = load_model(key, task)
    encoder = loaded.model.get_encoder() if task == "translation" else loaded.model
    ids = loaded.tokenizer(text, add_special_tokens=loaded.recipe.add_special_tokens)["input_ids"]
    with torch.inference_mode():
        expected = encoder(input_ids=torch.tensor([ids]), output_hidden_states=True).hidden_states
    assert result.layers == layers and len(result.hidden_states[0]) == layers + 1
    np.testing.assert_allclose(result.hidden_states[0], np.stack([h[0].numpy() for h in expected]), atol=1e-5)
    # Marian's slow SentencePiece tokenizer reports no offsets: its pieces are matched back onto the text
    content = [t for t in result.tokens[0] if not t.special]
    assert all(text[t.start : t.end] == t.text.replace("\u2581", "").removeprefix("##") for t in content)
    assert "".join(text[t.start : t.end] for t in content) == text.replace(" ", "")
    assert follow_word(result, "city").occurrences[1].token_indices  # found by its offsets
    assert result.has_cls == (key == "tiny-qa")  # bert2bert's recipe adds no [CLS]; Marian has none
    assert (result.cls_similarity is None) == (key != "tiny-qa")


def test_limits_are_one_sentence_each(settings_with):
    settings_with(max_layer_tokens=12)
    with pytest.raises(InputError, match=r"^The texts have 14 tokens together and the limit is 12: remove"):
        embed_layers(["the house is new", "the city is old"], model="tiny-bert")
    settings_with(max_layer_tokens=1024)
    with pytest.raises(InputError, match=r"^Text 2 has 602 tokens and tiny-bert reads at most 512: shorten it\.$"):
        embed_layers(["short", "a " * 600], model="tiny-bert")
    for texts, message in [
        ([], "Give 1 to 16 texts, not 0."),
        (["a"] * 17, "Give 1 to 16 texts, not 17."),
        ("one text", "texts must be a list of 1 to 16 strings, not str."),
        (["fine", " "], "The text 2 is empty"),
    ]:
        with pytest.raises(InputError, match=f"^{message}"):
            embed_layers(texts, model="tiny-bert")
    with pytest.raises(InputError, match="pooling must be one of mean, first"):
        word_across_layers(["the house", "the house"], "house", model="tiny-bert", pooling="max")
