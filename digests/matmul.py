"""Run the model's matrix products through NumPy's BLAS instead of thinc's bundled BLIS.

Why: thinc's `NumpyOps.gemm` calls the BLIS library shipped with the `blis` wheel; on the
machines we measured (AMD EPYC, AVX2) it runs the model's products (a few hundred tokens by
288 by 288, float32) at a quarter of the speed of NumPy's OpenBLAS on one core, and those
products are most of the NER's and the parser's time. `MatmulOps` is `NumpyOps` with `gemm`
done by `numpy.matmul`: the same float32 products up to rounding order
(`tests/digests/test_matmul.py`), byte-identical digests on the 56 dev articles when it was
introduced, a digest in about two thirds of the time (`bench/digest_bench.py`). The
transition models' own hidden layer still uses BLIS through thinc's C interface, which Python
cannot reroute.

The ops are given to the models as they are built (`load_pipeline`), not set for the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy
from thinc.api import NumpyOps, get_current_ops, set_current_ops


class MatmulOps(NumpyOps):
    """thinc's CPU ops, with `gemm` through NumPy."""

    name = "numpy"  # what thinc and spaCy test to treat these as CPU ops

    def gemm(  # type: ignore[override]  # thinc's Cython signature, loosened for NumPy arrays
        self, x: Any, y: Any, out: Any = None, trans1: bool = False, trans2: bool = False
    ) -> Any:
        """Return x @ y (each transposed first when asked), in `out` when given."""
        if trans1:
            x = x.T
        if trans2:
            y = y.T
        if out is None:
            return numpy.matmul(x, y)
        numpy.matmul(x, y, out=out)
        return out


@contextmanager
def matmul_ops() -> Iterator[None]:
    """Make the models built inside the block use `MatmulOps`; restore the ops after."""
    previous = get_current_ops()
    set_current_ops(MatmulOps())
    try:
        yield
    finally:
        set_current_ops(previous)
