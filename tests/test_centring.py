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


def test_long_large_fine_tune_series_have_their_mu_centred():
    """μ is the free variable itself for series counted ≥ 12 months that grew by ≥ 100
    (their data pin it), a standard offset from the organisation mean for the others."""
    from modelpoints import evaluate_at

    from bayesgrowth.design import build_design
    from bayesgrowth.model import build_model
    from bayesgrowth.priors import Priors
    from bayesgrowth.synthetic import synthetic_panel

    panel, _ = synthetic_panel(
        n_orgs=2,
        series_per_org=4,
        months=np.tile([6, 13, 24, 24], 2),
        org_log_lam=2.2,
        org_mu=1.5,
        seed=3,
    )
    design = build_design(panel, "finetunes")
    a = design.active
    span = design.last_t_exact[a] - design.base_t[a]
    growth = design.last_value[a] - design.base_value[a]
    centred = (span >= 12) & (growth >= 100)
    # both rules bite: a short series that grew by 100+, a long one that did not
    assert centred.any() and ((span < 12) & (growth >= 100)).any()
    assert ((span >= 12) & (growth < 100)).any()

    def mu_at(priors: Priors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        model = build_model(design, priors)
        point = model.initial_point()
        point["z_mu"] = np.linspace(-1.0, 1.0, len(a))
        point["s_mu_log__"] = np.log(0.4)
        mu, org = evaluate_at(model, point, ["mu", "org_mu"])
        return mu, org[design.series_org[a]] + 0.4 * point["z_mu"], point["z_mu"]

    mu, offset, free = mu_at(Priors())
    np.testing.assert_allclose(mu[centred], free[centred])
    np.testing.assert_allclose(mu[~centred], offset[~centred])
    mu, offset, _ = mu_at(Priors(centred_mu_count=float("inf")))
    np.testing.assert_allclose(mu, offset)
    assert Priors.for_metric("downloads").centred_mu_count == 0.0
