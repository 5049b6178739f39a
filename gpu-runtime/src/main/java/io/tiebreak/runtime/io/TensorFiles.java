package io.tiebreak.runtime.io;

import io.tiebreak.runtime.backend.Backend;
import io.tiebreak.runtime.nn.Parameter;
import io.tiebreak.runtime.tensor.Tensor;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Moves named tensors between a backend and safetensors files, checking names, shapes and dtypes. */
public final class TensorFiles {
    private TensorFiles() {}

    /** Adds a tensor under name, stored in its precision's dtype. */
    public static void add(Safetensors.Writer w, Backend backend, String name, Tensor t) {
        w.add(name, Safetensors.Dtype.of(t.precision()), t.shape(), backend.download(t));
    }

    /** Adds every parameter and buffer's value under its name. */
    public static void addParameters(Safetensors.Writer w, Backend backend, List<Parameter> params) {
        for (Parameter p : params) add(w, backend, p.name(), p.value());
    }

    /**
     * Loads the tensor called name into t. With exactDtype the file must store t's precision's dtype (checkpoints);
     * otherwise any floating dtype is accepted and rounded once to t's precision (weights from elsewhere).
     */
    public static void load(Safetensors.Contents c, Backend backend, String name, Tensor t, boolean exactDtype) {
        Safetensors.Entry e = c.require(name, t.shape());
        Safetensors.Dtype want = Safetensors.Dtype.of(t.precision());
        boolean floating = e.dtype() == Safetensors.Dtype.F16 || e.dtype() == Safetensors.Dtype.F32
                || e.dtype() == Safetensors.Dtype.F64;
        if (exactDtype ? e.dtype() != want : !floating) {
            throw new IllegalArgumentException(c.source() + ": tensor '" + name + "' is " + e.dtype() + ", expected "
                    + (exactDtype ? want + " for " + t.precision().id() : "a floating dtype (F16, F32, F64)"));
        }
        backend.write(t, e.toDoubles());
    }

    /** Loads every parameter and buffer; fails naming the first missing or mismatched one. */
    public static void loadParameters(Safetensors.Contents c, Backend backend, List<Parameter> params, boolean exactDtype) {
        for (Parameter p : params) load(c, backend, p.name(), p.value(), exactDtype);
    }

    /** Loads every entry of state (name -> live tensor). */
    public static void loadAll(Safetensors.Contents c, Backend backend, Map<String, Tensor> state, boolean exactDtype) {
        state.forEach((name, t) -> load(c, backend, name, t, exactDtype));
    }

    /**
     * SHA-256 (hex) of the tensors' values as a checkpoint stores them: each tensor's little-endian bytes in its
     * precision's dtype, concatenated in order (the data sections of the checkpoint's entries, in file order). Equal
     * digests mean bit-identical tensors; names and shapes are the run's config, so they are left out.
     */
    public static String sha256(Backend backend, Collection<Tensor> tensors) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
        for (Tensor t : tensors) md.update(Safetensors.encode(Safetensors.Dtype.of(t.precision()), backend.download(t)));
        return HexFormat.of().formatHex(md.digest());
    }
}
