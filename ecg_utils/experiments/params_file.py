"""Parameters as a YAML file papermill reads (``-f best.yaml``): a sweep's choice fed back to the baseline notebook."""
from __future__ import annotations

from pathlib import Path

from ecg_utils.io.files import written_whole
from ecg_utils.io.jsonable import json_types, plain_value


def write_params_file(params: dict, path, comment=None) -> Path:
    """Write ``params`` as YAML for ``papermill NOTEBOOK OUT -f path`` (atomically: tmp, then rename).

    ``comment`` (e.g. which sweep and metric chose them) goes first, as ``#`` lines.
    """
    import yaml

    path = Path(path)
    text = yaml.safe_dump({k: plain_value(v) for k, v in json_types(params).items()}, sort_keys=False)
    if comment:
        text = "".join(f"# {line}\n" for line in str(comment).splitlines()) + text
    with written_whole(path) as tmp:
        tmp.write_text(text)
    return path
