"""MatmulOps computes thinc's matrix products as thinc does, and the pipeline is built with it."""

from __future__ import annotations

import numpy
import pytest
from thinc.api import NumpyOps, get_current_ops

from digests.matmul import MatmulOps, matmul_ops


@pytest.mark.parametrize("trans1", [False, True])
@pytest.mark.parametrize("trans2", [False, True])
@pytest.mark.parametrize("shape", [(1, 1, 1), (7, 96, 288), (300, 288, 96), (33, 5, 64)])
def test_gemm_gives_thincs_products_with_and_without_transposes_and_out(shape, trans1, trans2):
    rows, inner, cols = shape
    rng = numpy.random.default_rng(sum(shape))
    x = rng.standard_normal((inner, rows) if trans1 else (rows, inner), dtype=numpy.float32)
    y = rng.standard_normal((cols, inner) if trans2 else (inner, cols), dtype=numpy.float32)
    want = NumpyOps().gemm(x, y, trans1=trans1, trans2=trans2)
    got = MatmulOps().gemm(x, y, trans1=trans1, trans2=trans2)
    assert got.dtype == numpy.float32 and got.shape == want.shape == (rows, cols)
    numpy.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    out = numpy.zeros((rows, cols), dtype=numpy.float32)
    assert MatmulOps().gemm(x, y, out=out, trans1=trans1, trans2=trans2) is out
    numpy.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-4)


def test_the_ops_are_scoped_to_the_block_that_builds_the_models():
    before = type(get_current_ops())
    with matmul_ops():
        assert isinstance(get_current_ops(), MatmulOps)
    assert type(get_current_ops()) is before


def test_the_pipelines_networks_run_on_matmul_ops(engine):
    for name in ("ner", "tok2vec", "parser"):
        assert isinstance(engine.nlp.get_pipe(name).model.ops, MatmulOps), name
