package io.tiebreak.runtime.backend.cuda;

/** The GPU has no room for an allocation, even after unreachable tensors were collected. */
public final class DeviceOutOfMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DeviceOutOfMemoryException(String message) {
        super(message);
    }
}
