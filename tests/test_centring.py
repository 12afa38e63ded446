"""Partly centred normals: the same prior whichever elements are sampled centred."""

from __future__ import annotations

import numpy as np
import pymc as pm

from bayesgrowth.model import partly_centred


def test_partly_centred_normal_has_the_stated_prior_for_either_choice():
    centred = np.array([0.0, 1.0, 0.0, 1.0])
    with pm.Model(coords={"item": range(4)}) as model:
        mean = pm.Normal("m", 2.0, 0.1)
        scale = pm.HalfNormal("s", 0.5)
        x = pm.Deterministic("x", partly_centred("raw", mean, scale, centred, "item"), dims="item")
        m_draw, s_draw, x_draw, raw_draw = pm.draw(
            [mean, scale, x, model["raw"]], draws=20000, random_seed=1
        )
    # standardised by the drawn mean and scale, every element is N(0, 1)
    z = (x_draw - m_draw[:, None]) / s_draw[:, None]
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=0.03)
    np.testing.assert_allclose(z.std(axis=0), 1.0, atol=0.03)
    # the free variable is the value itself where centred, a standard offset where not
    np.testing.assert_allclose(raw_draw[:, 1], x_draw[:, 1])
    np.testing.assert_allclose(raw_draw[:, 0], z[:, 0])
