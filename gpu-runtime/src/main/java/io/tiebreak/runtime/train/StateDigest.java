package io.tiebreak.runtime.train;

import io.tiebreak.runtime.io.TensorFiles;
import io.tiebreak.runtime.models.Model;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.optim.Optimizer;
import java.io.Serializable;

/**
 * SHA-256 digests of a run's state (see {@link TensorFiles#sha256}): of the weights and batch-norm buffers, and of
 * the optimizer state. Two runs, clusters or versions that end with the same digests hold the same bits.
 */
public record StateDigest(String weights, String optimizer) implements Serializable {

    static StateDigest of(Model model, Optimizer optimizer) {
        return new StateDigest(
                TensorFiles.sha256(model.backend(), model.parameters().stream().map(Parameter::value).toList()),
                TensorFiles.sha256(model.backend(), optimizer.state().values()));
    }
}
