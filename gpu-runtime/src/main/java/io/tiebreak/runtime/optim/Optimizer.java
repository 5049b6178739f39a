package io.tiebreak.runtime.optim;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * SGD or Adam over a model's trainable parameters, with PyTorch's state names (momentum_buffer, exp_avg,
 * exp_avg_sq) so checkpoints read like torch.optim state. State tensors have the parameters' precision.
 */
public final class Optimizer {
    private final OptimizerSpec spec;
    private final Backend backend;
    private final List<Parameter> params;
    private final Map<String, Tensor> state = new LinkedHashMap<>();
    private long steps;

    public Optimizer(OptimizerSpec spec, Backend backend, List<Parameter> trainable) {
        this.spec = spec;
        this.backend = backend;
        this.params = new ArrayList<>(trainable);
        for (Parameter p : params) {
            for (String s : stateNames()) {
                state.put(key(p, s), backend.zeros(p.value().precision(), p.value().shape()));
            }
        }
    }

    private List<String> stateNames() {
        if (spec.kind() == OptimizerSpec.Kind.ADAM) return List.of("exp_avg", "exp_avg_sq");
        return spec.momentum() != 0 ? List.of("momentum_buffer") : List.of();
    }

    private static String key(Parameter p, String s) { return "optimizer." + p.name() + "." + s; }

    /** Steps taken so far (PyTorch's `step` of Adam; SGD's first step initializes its momentum buffer). */
    public long steps() { return steps; }

    /** One update of every parameter from its current gradient. */
    public void step(double lr) {
        steps++;
        for (Parameter p : params) {
            if (spec.kind() == OptimizerSpec.Kind.ADAM) {
                backend.adamUpdate(p.value(), p.grad(), state.get(key(p, "exp_avg")), state.get(key(p, "exp_avg_sq")),
                        lr, spec.beta1(), spec.beta2(), spec.eps(), spec.weightDecay(), steps);
            } else {
                backend.sgdUpdate(p.value(), p.grad(), state.get(key(p, "momentum_buffer")), lr, spec.momentum(),
                        spec.dampening(), spec.weightDecay(), spec.nesterov(), steps == 1);
            }
        }
    }

    /** State tensors by checkpoint name ("optimizer.<param>.<state>"), live: writing them restores state. */
    public Map<String, Tensor> state() { return java.util.Collections.unmodifiableMap(state); }

    /** Sets the step count when restoring a checkpoint. */
    public void restoreSteps(long steps) {
        if (steps < 0) throw new IllegalArgumentException("negative step count " + steps);
        this.steps = steps;
    }
}
