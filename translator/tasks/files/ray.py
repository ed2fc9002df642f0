"""A corpus on Ray Data: the units as a dataset, ``map_batches`` with an actor pool, results in input order.

Each actor (``UnitTranslator``) configures the driver's settings and loads the model once, then
translates batch after batch with translate_groups, the same path as a run without Ray, so every
unit gets ``translate(unit).text`` either way. With address "local" a Ray instance is started on
this machine (no dashboard, no usage report) and stopped at the end; with any other address (e.g.
``ray://head:10001`` or ``auto``) the run joins that cluster and ships the ``translator`` package to
it, so its nodes only need the requirements installed. One GPU per actor when the cluster has GPUs.
Ray is optional (requirements-scale.txt); without it, ``--ray`` says how to install it.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...core.errors import InputError
from ...core.settings import Settings, configure, get_settings

# environment the actors on a cluster need as the driver has it (offline hub, caches)
PASSED_ENVIRONMENT = ("HF_HUB_OFFLINE", "HF_HOME", "HF_HUB_CACHE", "TRANSFORMERS_OFFLINE", "TOKENIZERS_PARALLELISM")


class UnitTranslator:
    """A Ray Data actor: the model is loaded once, in the constructor; each call translates one batch of units."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        from ..translation.translate import translate

        configure(settings)
        self.options = options
        translate("Hello.", **{**options, "progress": None})  # load the model (and its engine) now, not per batch

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from .documents import translate_groups

        texts = [str(text) for text in batch["text"]]
        out = [""] * len(texts)
        for group in translate_groups(texts, **self.options):
            for i, translation in zip(group.indexes, group.translations, strict=True):
                out[i] = translation
        return {"id": batch["id"], "translation": np.array(out, dtype=object)}


def translate_on_ray(
    texts: Sequence[str], address: str, actors: int, batch_units: int, options: dict[str, Any]
) -> Iterator[tuple[list[int], list[str]]]:
    """(indexes into ``texts``, translations) per finished batch, in input order."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise InputError("--ray needs Ray Data: pip install -r requirements-scale.txt") from None
    if actors < 1:
        raise InputError(f"The number of Ray actors must be at least 1, not {actors}.")
    local_cpus = max(actors, os.cpu_count() or 2)
    started_here = _connect(ray, address, local_cpus)
    try:
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # no plan or progress lines: the CLI has its bar
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False  # the command line shows its own bar
        context.print_on_execution_start = False
        context.execution_options.preserve_order = True
        gpus = 1 if ray.cluster_resources().get("GPU", 0) >= 1 else 0
        # on this machine the actors share its cores (each sets torch's threads to its CPUs); on a cluster
        # each takes one CPU, since a node may have fewer cores than the cluster has over the actors
        cpus = max(1, local_cpus // actors) if address == "local" and not gpus else 1
        rows = [{"id": i, "text": text} for i, text in enumerate(texts)]
        dataset = ray.data.from_items(rows, override_num_blocks=max(1, -(-len(rows) // batch_units)))
        translated = dataset.map_batches(
            UnitTranslator,
            fn_constructor_kwargs={"settings": get_settings(), "options": options},
            batch_size=batch_units,
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_gpus=gpus,
            num_cpus=cpus,
        )
        for batch in translated.iter_batches(batch_size=None, batch_format="numpy"):
            yield [int(i) for i in batch["id"]], [str(t) for t in batch["translation"]]
    finally:
        if started_here:
            ray.shutdown()


def _connect(ray: Any, address: str, local_cpus: int) -> bool:
    """Start a local Ray or join the cluster at ``address``: True, the caller disconnects at the end.

    False: this process was already connected (e.g. a script that called ray.init itself); that is reused.
    """
    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # never report usage home: offline machines
    os.environ.setdefault("RAY_BACKEND_LOG_LEVEL", "fatal")  # core-worker chatter; errors still raise here
    if address == "local":
        # the local workers inherit this process's environment; no runtime_env, so the actors can start
        # in the workers Ray has already started
        ray.init(
            address="local",
            num_cpus=local_cpus,
            include_dashboard=False,
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
        return True
    env = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    package = str(Path(__file__).resolve().parents[1])
    ray.init(address=address, logging_level=logging.ERROR, runtime_env={"env_vars": env, "py_modules": [package]})
    return True
