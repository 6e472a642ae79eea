"""One break per check of each notebook, for ``check_claims.py`` (read its docstring).

``BREAKS[notebook][cell index]`` lists, in the order the cell's checks appear, what makes
each check's input false: code run before the cell is rerun (rebinding names, never
changing an object in place), or ``(old, new)``, a change to the cell's own text. A cell
index is 0-based into the notebook's ``cells``; ``tests/test_kit_tutorials.py`` fails when a
notebook's checks and this table disagree (a check added, removed or moved).
"""

H = 'examples.History'          # the kit's record of a run: a dict with attribute access

NB1 = {
    9: ["slanted = gs.TriangularSchedule(0.01, 0.1, 1000, inc_fraction=0.25)",
        "triangle = gs.TriangularSchedule(0.02, 0.1, 1000)",
        "slanted = gs.TriangularSchedule(0.01, 0.1, 1000, inc_fraction=0.3)",
        "triangle = gs.TriangularSchedule(0.01, 0.1, 1000, inc_fraction=0.4)"],
    12: ["cosine = gs.CosineAnnealingSchedule(min_lr=0.002, max_lr=0.1, cycle_length=1000)",
         "cosine = gs.CosineAnnealingSchedule(min_lr=0.001, max_lr=0.1, cycle_length=1100)",
         "cosine = gs.CosineAnnealingSchedule(min_lr=0.001, max_lr=0.1, cycle_length=1100)",
         "cosine = gs.CyclicalSchedule(gs.CosineAnnealingSchedule, cycle_length=500, "
         "min_lr=0.001, max_lr=0.1)",
         "cosine = gs.Linear(0.1, 0.001, 1000)",
         "cosine = gs.Linear(0.1, 0.001, 1000)"],
    17: [("base_lr=0.1)) == 0.1", "base_lr=0.2)) == 0.1"),
         "mx_step = mx.lr_scheduler.MultiFactorScheduler(step=[250, 750, 900], factor=0.5, "
         "base_lr=0.1)"],
    20: ["pure = fresh",
         "pure = gs.MXNetSchedule(mx.lr_scheduler.MultiFactorScheduler(step=[250, 750, 900], "
         "factor=0.6, base_lr=0.1))",
         "fresh = gs.MXNetSchedule(mx.lr_scheduler.MultiFactorScheduler(step=[250, 750, 900], "
         "factor=0.5, base_lr=0.1))",
         # a wrapper that calls the MXNet object instead of holding a snapshot of it
         "_m = mx.lr_scheduler.MultiFactorScheduler(step=[250, 750, 900], factor=0.5, "
         "base_lr=0.1)\nfresh = _m\npure = gs.FunctionSchedule(lambda t: _m(int(t)), "
         "reference_lr=0.1)"],
    24: ["warm = gs.LinearWarmUp(mx_step, start_lr=0.0, length=200)",
         "warm = gs.LinearWarmUp(mx_step, start_lr=0.0, length=300)",
         "warm = gs.LinearWarmUp(mx.lr_scheduler.MultiFactorScheduler(step=[250, 750, 900], "
         "factor=0.6, base_lr=0.1), start_lr=0.0, length=250)",
         "mx_step = mx.lr_scheduler.MultiFactorScheduler(step=[250, 750, 900], factor=0.5, "
         "base_lr=0.1)\nmx_step(1000)"],
    27: ["cool = gs.LinearCoolDown(mx_step, finish_lr=0.0001, start_idx=1000, length=600)",
         "cool = gs.LinearCoolDown(mx_step, finish_lr=0.0001, start_idx=1000, length=400)"],
    30: ["wsd = gs.WarmupStableDecay(0.1, total_steps=1000, warmup_steps=80, decay_steps=200, "
         "final_lr=0.001)",
         "warm_cosine = gs.LinearWarmUp(gs.CosineDecay(0.1, 900, final_lr=0.001), start_lr=0.0, "
         "length=120)",
         "warm_cosine = gs.LinearWarmUp(gs.CosineDecay(0.1, 800, final_lr=0.001), start_lr=0.0, "
         "length=100)",
         "wsd = gs.WarmupStableDecay(0.1, total_steps=1000, warmup_steps=100, decay_steps=200, "
         "final_lr=0.002)",
         "wsd = gs.WarmupStableDecay(0.1, total_steps=1000, warmup_steps=100, decay_steps=300, "
         "final_lr=0.001)",
         "wsd = gs.WarmupStableDecay(0.1, total_steps=1000, warmup_steps=100, decay_steps=250, "
         "final_lr=0.001)",
         "warm_cosine = wsd"],
    33: ["one_cycle = gs.OneCycleSchedule(start_lr=0.01, max_lr=0.1, cycle_length=400, "
         "cooldown_length=750, finish_lr=0.0001)",
         "one_cycle = gs.OneCycleSchedule(start_lr=0.01, max_lr=0.1, cycle_length=500, "
         "cooldown_length=750, finish_lr=0.0002)"],
    35: [("step_size_down=250)", "step_size_down=300)"),
         "one_cycle = gs.CyclicalSchedule(gs.TriangularSchedule, cycle_length=500, min_lr=0.01, "
         "max_lr=0.1)"],
    38: ["clr = gs.CyclicalSchedule(gs.TriangularSchedule, cycle_length=500, "
         "cycle_magnitude_decay=0.9, min_lr=0.01, max_lr=0.1)",
         "clr = gs.CyclicalSchedule(gs.TriangularSchedule, cycle_length=400, min_lr=0.01, "
         "max_lr=0.1)"],
    41: ["sgdr = gs.CyclicalSchedule(gs.CosineAnnealingSchedule, cycle_length=250, "
         "cycle_length_decay=2, cycle_magnitude_decay=0.6, min_lr=0.001, max_lr=0.1)",
         "sgdr = gs.CyclicalSchedule(gs.CosineAnnealingSchedule, cycle_length=250, "
         "cycle_length_decay=2, cycle_magnitude_decay=0.5, min_lr=0.002, max_lr=0.1)",
         "sgdr = gs.CyclicalSchedule(gs.CosineAnnealingSchedule, cycle_length=250, "
         "cycle_length_decay=1.5, cycle_magnitude_decay=0.5, min_lr=0.001, max_lr=0.1)"],
    48: ["schedule = schedule * 1.01",
         "history = %s(history, lr=history.lr[::-1])" % H,
         "history = %s(history, lr=[0.9 * x for x in history.lr])" % H,
         "history = %s(history, test_acc=history.test_acc[:-1] + [0.85])" % H],
    53: ["applied_ok = {k: (v if i else False) for i, (k, v) in enumerate(applied_ok.items())}",
         "build = lambda n, T: gs.Constant(0.1)",
         "acc = dict(acc, cosine=acc['cosine'] - 10)",
         "acc = dict(acc, cosine=acc['cosine'] - 5)",
         "acc = dict(acc, cosine=acc['triangular'], triangular=acc['cosine'])",
         "acc = dict(acc, **{'triangular': acc['slanted triangular'], "
         "'slanted triangular': acc['triangular']})"],
    54: ["acc = dict(acc, **{'slanted triangular': acc['slanted triangular'] + 5})"],
    57: [("config = sgdr.get_config()",
          "config = sgdr.get_config()\n"
          "config = dict(config, params=dict(config['params'], min_lr=0.002))"),
         ("pickle.dumps(sgdr)", "pickle.dumps(clr)")],
}

NB2 = {
    9: ["finder_mlp = finder",
        "end_cnn = np.sort(finder.losses)[:5]",
        "floor_mlp = 4 * floor_cnn",
        "peak = 0.5 * min(finder.suggestions()[k] for k in ('valley', 'steepest', 'median'))"],
    12: [("probe = calib['probe']",
          "probe = calib['probe']\n"
          "rule = dict(rule, report=dict(rule['report'], mean=rule['tune']['mean'] - 0.1))"),
         ("probe = calib['probe']",
          "probe = dict(calib['probe'], report=dict(calib['probe']['report'], mean=0.0))"),
         ("probe = calib['probe']",
          "probe = calib['probe']\ncalib = dict(calib, winner_default_setting=calib['winner'])"),
         ("before = calib['winner_vs_before']",
          "before = dict(calib['winner_vs_before'], mean=-0.1)"),
         ("before = calib['winner_vs_before']",
          "before = dict(calib['winner_vs_before'], interval90=[0.1, 1.3])")],
    15: ["pilot = {s: [%s(h, final_test_acc=0.9) for h in hs] for s, hs in pilot.items()}" % H,
         "pilot = {s: [%s(h, val_acc=h.val_acc[:-1]) for h in hs] for s, hs in pilot.items()}"
         % H,
         "pilot_acc = {k: (0.9 if k == 0.2 else v) for k, v in pilot_acc.items()}"],
    19: ["results = dict(results)\n"
         "results[one] = [%s(h, lr=[1.001 * x for x in h.lr]) for h in results[one]]" % H,
         "results = dict(results)\n"
         "results[one] = [%s(h, momentum=[0.9] * len(h.momentum)) for h in results[one]]" % H,
         "results = dict(results)\nresults[step_full] = [%s({k: v for k, v in h.items() "
         "if k != 'final_test_acc'}) for h in results[step_full]]" % H],
    24: ["iv_full = examples.paired_interval({one: results[one][:4], step_full: "
         "results[step_full][:4]}, one, step_full)",
         # the arms swapped: the squeezed schedule's runs scored as the full one's
         "iv_squeeze = examples.paired_interval({step_short: results[step_full], "
         "step_full: results[step_short]}, step_short, step_full)",
         "iv_short = examples.paired_interval({one: results[step_short], "
         "step_short: results[one]}, one, step_short)"],
    29: ["fit = examples.validation_split(X_train, y_train, 500, seed=0)",
         "mlp_exp = dict(mlp_exp, results={mlp_exp['one_cycle']: "
         "mlp_exp['results'][mlp_exp['step_full']], mlp_exp['step_full']: "
         "mlp_exp['results'][mlp_exp['one_cycle']]})"],
    36: ["import types\nfinder_val = types.SimpleNamespace(val_losses=finder_val.val_losses[:-1], "
         "num_updates=finder_val.num_updates)",
         "val = np.full_like(val, val[0])",
         "val = np.linspace(val[0], 0.1, len(val))"],
    41: ["finder_lin = finder"],
    44: ["by_wd = {**by_wd, 1e-4: finder_mlp}",
         "import types\nby_wd = {**by_wd, 1e-2: types.SimpleNamespace(lrs=finder.lrs[:40], "
         "smoothed_losses=finder.smoothed_losses[:40])}",
         "import types\nby_wd = {**by_wd, 1e-2: types.SimpleNamespace(lrs=by_wd[1e-2].lrs, "
         "smoothed_losses=by_wd[1e-2].smoothed_losses + 0.5)}"],
    52: ["smith = gs.OneCycleLR(max_lr=0.3, total_steps=310, pct_start=0.4, "
         "anneal_strategy='linear', three_phase=True, div_factor=25, final_div_factor=100)",
         "smith = gs.OneCycleLR(max_lr=0.3, total_steps=310, pct_start=0.45, "
         "anneal_strategy='linear', three_phase=True, div_factor=25, final_div_factor=50)",
         "smith = gs.OneCycleLR(max_lr=0.3, total_steps=310, pct_start=0.45, "
         "anneal_strategy='linear', three_phase=False, div_factor=25, final_div_factor=100)"],
    55: ["clr = gs.fastai_clr_beta(0.3, total_steps=310, div=20, pct=13.68, max_mom=0.95, "
         "min_mom=0.85)"],
}

NB3 = {
    7: ["mom = gs.OneCycleLR(max_lr=0.2, total_steps=N, pct_start=0.4).momentum",
        "mom = gs.OneCycleLR(max_lr=0.2, total_steps=N, base_momentum=0.8).momentum",
        "mom = gs.OneCycleLR(max_lr=0.2, total_steps=N, base_momentum=0.8).momentum"],
    11: ["sched = gs.OneCycleLR(max_lr=0.3, total_steps=N)",
         "sgd_history = %s(sgd_history, momentum=[0.9] * N)" % H,
         "sgd_history = %s(sgd_history, test_acc=sgd_history.test_acc[:-1] + [0.85])" % H],
    13: [("length=60)", "length=50)")],
    14: [("gs.Linear(0.9, 1.2, 100)", "gs.Linear(0.9, 0.95, 100)")],
    17: ["adam_sched = gs.OneCycleLR(max_lr=0.01, total_steps=N)",
         "adam_sched = gs.OneCycleLR(max_lr=0.01, total_steps=N)",
         "import warnings\ncaught = [warnings.WarningMessage(UserWarning('another warning'), "
         "UserWarning, 'x.py', 1)]"],
    21: ["adam_sched = gs.OneCycleLR(max_lr=0.001, total_steps=N)",   # rescaled as in cell 16
         "adam_history = %s(adam_history, momentum=[0.9] * N)" % H,
         "adam_history = %s(adam_history, test_acc=adam_history.test_acc[:-1] + [0.85])" % H],
    25: ["wd_sched = gs.Linear(1e-5, 2e-3, N)",
         "wd_history = %s(wd_history, momentum=[0.9] * N)" % H,
         "ramp_norms = ramp_norms[:-1]",
         "ramp_norms = list(high_norms)",
         "ramp_norms = list(low_norms)"],
    28: [("gs.schedule_hyperparams(trainer, momentum=sched.momentum)",
          "gs.schedule_hyperparams(trainer, momentum=gs.Constant(0.9))")],
    30: [("run(3)", "run(2)"),
         ("momentum=gs.Constant(0.9))", "momentum=gs.Constant(0.8))")],
    35: ["import types\nrecorder = types.SimpleNamespace(history=%s(recorder.history, "
         "momentum=recorder.history.momentum[:-1]))" % H,
         "loop_history = %s(loop_history, momentum=loop_history.momentum[::-1])" % H,
         "sched_est = gs.OneCycleLR(max_lr=0.2, total_steps=N_est, pct_start=0.4)",
         # the Estimator's weights against another run's (cell 30's, other batches)
         "same_weights = all(np.array_equal(a.data(ctx[0]).asnumpy(), b.data(ctx[0]).asnumpy()) "
         "for a, b in zip(net_est.collect_params().values(), net_a.collect_params().values()))"],
    37: [("pickle.dumps(trainer_est.optimizer)",
          "pickle.dumps(gs.scheduled_optimizer('sgd', momentum=sched_est.momentum, "
          "lr_scheduler=sched_est))"),
         ("pickle.dumps(trainer_est.optimizer)",
          "pickle.dumps(gs.scheduled_optimizer('sgd', momentum=gs.Constant(0.9), "
          "lr_scheduler=sched_est))")],
    39: [("half = EPOCHS // 2", "half = EPOCHS // 3"),
         ("half = EPOCHS // 2", "half = EPOCHS"),       # a checkpoint at the end: mom(N+1) = mom(1)
         ("gs.schedule_hyperparams(trainer_c, momentum=sched_c.momentum)",
          "gs.schedule_hyperparams(trainer_c, momentum=gs.Constant(0.9))"),
         ("net_new.load_parameters(os.path.join(tmp, 'net.params'), ctx=ctx)", "pass")],
}

NB4 = {
    6: ["same = examples.large_batch_schedule(0.1, 64, 8, 64, EPOCHS, upe_512, warmup_epochs=1)",
        "scaled = gs.scale_lr_for_batch(base, per_worker_batch=64, num_workers=8, base_batch=64, "
        "warmup_steps=3 * upe_512)",
        "scaled = gs.scale_lr_for_batch(base, per_worker_batch=64, num_workers=4, base_batch=64, "
        "warmup_steps=2 * upe_512)",
        "no_warmup = scaled",
        "base = gs.MultiStepDecay(0.1, [30, 52], 0.1)"],
    10: ["acc = dict(acc, **{'batch 512, lr unscaled': acc['batch 64 (reference)'] - 1})",
         "acc = dict(acc, **{'batch 512, k=8': acc['batch 512, lr unscaled'] + 0.1})",
         "acc = dict(acc, **{'batch 256, k=4': acc['batch 64 (reference)'] - 2})",
         "acc = dict(acc, **{'batch 512, k=8': acc['batch 64 (reference)'] + 0.5})",
         "acc = dict(acc, **{'batch 512, k=8 + warm-up': acc['batch 512, k=8'], "
         "'batch 512, k=8': acc['batch 512, k=8 + warm-up']})"],
    11: ["acc = dict(acc, **{'batch 256, k=4 + warm-up': acc['batch 256, k=4'] + 3})"],
    15: ["stepwise = [%s(h, lr=[1.01 * x for x in h.lr]) for h in stepwise]" % H,
         # the gradual warm-up's rates where the stepwise ones were recorded
         "stepwise = [%s(stepwise[0], lr=list(examples.large_batch_schedule(0.1, 512, 1, 64, "
         "EPOCHS, upe_512, 2).values(np.arange(1, len(stepwise[0].lr) + 1))))]" % H],
    23: ["ranks = [dict(r, num_update=r['num_update'] - 1) for r in ranks]",
         "plan = examples.large_batch_schedule(0.1, 128, 2, 64, 4, "
         "ranks[0]['updates_per_epoch'], 2)",
         "ranks = [ranks[0], dict(ranks[1], weights={k: v + 1e-7 for k, v in "
         "ranks[1]['weights'].items()})]",
         "ranks = [dict(ranks[0], test_acc=0.5)] + ranks[1:]"],
    26: ["hranks = [dict(r, lr=[1.01 * x for x in r['lr']]) for r in hranks]",
         "hranks = [hranks[0], dict(hranks[1], weights={k: v + 1e-7 for k, v in "
         "hranks[1]['weights'].items()})]",
         "hranks = [dict(h, weights={k: v + 1e-3 for k, v in h['weights'].items()}) "
         "for h in hranks]"],
}

BREAKS = {
    '01_advanced_lr_schedules.ipynb': NB1,
    '02_one_cycle_super_convergence.ipynb': NB2,
    '03_momentum_and_other_hyperparameters.ipynb': NB3,
    '04_warmup_large_batch_distributed.ipynb': NB4,
}
