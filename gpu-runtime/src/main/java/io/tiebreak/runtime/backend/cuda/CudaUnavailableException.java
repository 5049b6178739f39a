package io.tiebreak.runtime.backend.cuda;

/** A CUDA backend cannot be opened here; the message says why (no driver, no such GPU, no kernels in this jar...). */
public final class CudaUnavailableException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CudaUnavailableException(String message) {
        super(message);
    }

    public CudaUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
