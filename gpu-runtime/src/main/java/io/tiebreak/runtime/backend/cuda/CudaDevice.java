package io.tiebreak.runtime.backend.cuda;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDeviceGetPCIBusId;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRelease;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDeviceTotalMem;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoDAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD8Async;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;
import static jcuda.driver.JCudaDriver.cuModuleUnload;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.JCudaDriver;

/**
 * One GPU through JCuda's driver API (the runtime API, cuBLAS and cuDNN are not used): the device's primary
 * context, our fatbin loaded as a module, one stream for every kernel and copy. Not thread-safe; the context is
 * made current on the calling thread before every call, so the thread may change between calls.
 */
final class CudaDevice implements Device {
    private final int index;
    private final CUdevice device;
    private final CUcontext context = new CUcontext();
    private final CUmodule module = new CUmodule();
    private final CUstream stream = new CUstream();
    private final String name;
    private final long totalMemory;
    private final Map<String, CUfunction> functions = new HashMap<>();
    private final TreeMap<Long, Allocation> allocations = new TreeMap<>();
    private boolean closed;

    /** A device pointer whose address can be read (CUdeviceptr keeps it protected). */
    private static final class Address extends CUdeviceptr {
        long value() { return getNativePointer(); }
    }

    private record Allocation(Address pointer, long bytes) {}

    private CudaDevice(int index, CUdevice device, byte[] image) {
        this.index = index;
        this.device = device;
        check(cuDevicePrimaryCtxRetain(context, device), "retaining the primary context of cuda:" + index);
        check(cuCtxSetCurrent(context), "making the context current");
        int[] major = new int[1], minor = new int[1];
        check(cuDeviceGetAttribute(major, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device), "reading the compute capability");
        check(cuDeviceGetAttribute(minor, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device), "reading the compute capability");
        byte[] raw = new byte[256];
        check(cuDeviceGetName(raw, raw.length, device), "reading the device name");
        String model = new String(raw, java.nio.charset.StandardCharsets.US_ASCII).trim();
        int nul = model.indexOf('\0');
        this.name = (nul >= 0 ? model.substring(0, nul) : model) + " (sm_" + major[0] + minor[0] + ")";
        long[] total = new long[1];
        check(cuDeviceTotalMem(total, device), "reading the memory size");
        this.totalMemory = total[0];
        int loaded = cuModuleLoadData(module, image);
        if (loaded != CUresult.CUDA_SUCCESS) {
            cuDevicePrimaryCtxRelease(device);
            throw new CudaUnavailableException(moduleLoadFailure(loaded, major[0] * 10 + minor[0]));
        }
        check(cuStreamCreate(stream, 0), "creating a stream");
    }

    /**
     * Opens the GPU at {@code index} in PCI bus order: nvidia-smi's index, which Spark's discovery script reports,
     * whatever CUDA_DEVICE_ORDER says.
     */
    static CudaDevice open(int index) {
        byte[] image = KernelImage.load(); // a jar without kernels fails here, before touching the driver
        initDriver();
        int[] count = new int[1];
        check(cuDeviceGetCount(count), "counting GPUs");
        if (count[0] == 0) throw new CudaUnavailableException("the CUDA driver sees no GPU" + visibleDevicesNote());
        if (index < 0 || index >= count[0]) {
            throw new CudaUnavailableException("cuda:" + index + " requested, but the CUDA driver sees " + count[0]
                    + " GPU(s): cuda:0 to cuda:" + (count[0] - 1) + visibleDevicesNote());
        }
        return new CudaDevice(index, inPciOrder(count[0]).get(index), image);
    }

    /** Loads the driver library and initializes it, or says why that is impossible here. */
    static void initDriver() {
        int result;
        try {
            JCudaDriver.setExceptionsEnabled(false);
            result = cuInit(0);
        } catch (LinkageError e) {
            throw new CudaUnavailableException("the NVIDIA driver library (libcuda.so.1) could not be loaded, so "
                    + "there is no usable GPU here: " + linkFailure(e), e);
        }
        if (result == CUresult.CUDA_ERROR_NO_DEVICE) {
            throw new CudaUnavailableException("the CUDA driver found no GPU" + visibleDevicesNote());
        }
        if (result == CUresult.CUDA_ERROR_STUB_LIBRARY) {
            throw new CudaUnavailableException("libcuda.so.1 is the CUDA toolkit's stub library, not an NVIDIA driver");
        }
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaUnavailableException("the CUDA driver failed to initialize: " + CUresult.stringFor(result)
                    + " (JCuda 12.6 needs a driver for CUDA 12.6 or newer)");
        }
    }

    /** The line of JCuda's long loading report that says what failed, e.g. "...: libcuda.so.1: cannot open ...". */
    static String linkFailure(LinkageError e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[\\w.+-]+\\.so[\\w.]*: [^\\n]+").matcher(message);
        return m.find() ? m.group() : message.lines().findFirst().orElse(e.toString());
    }

    private static String visibleDevicesNote() {
        String visible = System.getenv("CUDA_VISIBLE_DEVICES");
        return visible == null ? "" : " (CUDA_VISIBLE_DEVICES=" + visible + ")";
    }

    private static List<CUdevice> inPciOrder(int count) {
        record Found(String pciBusId, CUdevice device) {}
        List<Found> found = new ArrayList<>();
        for (int ordinal = 0; ordinal < count; ordinal++) {
            CUdevice d = new CUdevice();
            check(cuDeviceGet(d, ordinal), "opening device " + ordinal);
            String[] id = new String[1];
            check(cuDeviceGetPCIBusId(id, 64, d), "reading the PCI bus id of device " + ordinal);
            found.add(new Found(id[0].trim().toLowerCase(java.util.Locale.ROOT), d));
        }
        found.sort(Comparator.comparing(Found::pciBusId));
        List<CUdevice> devices = new ArrayList<>();
        for (Found f : found) devices.add(f.device());
        return devices;
    }

    private static String moduleLoadFailure(int result, int sm) {
        String why = CUresult.stringFor(result);
        if (result == CUresult.CUDA_ERROR_NO_BINARY_FOR_GPU || result == CUresult.CUDA_ERROR_UNSUPPORTED_PTX_VERSION) {
            return "the packaged kernels (" + KernelImage.describe() + ") cannot run on this sm_" + sm + " GPU: "
                    + why + "; they hold machine code for sm_80, sm_86, sm_89 and sm_90, and compute_90 PTX that only"
                    + " a CUDA 13 driver (580 or newer) can compile";
        }
        return "loading the packaged CUDA kernels failed: " + why;
    }

    static void check(int result, String what) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException("CUDA error " + CUresult.stringFor(result) + " while " + what);
        }
    }

    private void current() {
        if (closed) throw new IllegalStateException("cuda:" + index + " is closed");
        check(cuCtxSetCurrent(context), "making the context of cuda:" + index + " current");
    }

    @Override public String name() { return name; }
    @Override public long totalMemory() { return totalMemory; }

    /** The CUDA driver's version, e.g. "13.0". */
    static String driverVersion() {
        int[] v = new int[1];
        check(cuDriverGetVersion(v), "reading the driver version");
        return v[0] / 1000 + "." + v[0] % 1000 / 10;
    }

    @Override
    public long allocate(long bytes) {
        current();
        Address p = new Address();
        int result = cuMemAlloc(p, bytes);
        if (result == CUresult.CUDA_ERROR_OUT_OF_MEMORY) return 0;
        check(result, "allocating " + bytes + " bytes");
        allocations.put(p.value(), new Allocation(p, bytes));
        return p.value();
    }

    @Override
    public void free(long address) {
        current();
        Allocation a = allocations.remove(address);
        if (a == null) throw new IllegalArgumentException("no allocation at 0x" + Long.toHexString(address));
        check(cuMemFree(a.pointer()), "freeing device memory");
    }

    /** The driver pointer for [address, address + bytes), which must lie inside one allocation. */
    private CUdeviceptr pointer(long address, long bytes) {
        Map.Entry<Long, Allocation> e = allocations.floorEntry(address);
        if (e == null || address + bytes > e.getKey() + e.getValue().bytes()) {
            throw new IllegalArgumentException("0x" + Long.toHexString(address) + " + " + bytes + " bytes is outside device memory of this backend");
        }
        long offset = address - e.getKey();
        return offset == 0 ? e.getValue().pointer() : (CUdeviceptr) e.getValue().pointer().withByteOffset(offset);
    }

    private static Pointer host(Object array) {
        if (array instanceof float[]) return Pointer.to((float[]) array);
        if (array instanceof double[]) return Pointer.to((double[]) array);
        if (array instanceof short[]) return Pointer.to((short[]) array);
        if (array instanceof int[]) return Pointer.to((int[]) array);
        if (array instanceof long[]) return Pointer.to((long[]) array);
        if (array instanceof byte[]) return Pointer.to((byte[]) array);
        throw new IllegalArgumentException("not a primitive array: " + array);
    }

    @Override
    public void upload(Object hostArray, long address, long bytes) {
        synchronize();
        check(cuMemcpyHtoD(pointer(address, bytes), host(hostArray), bytes), "copying " + bytes + " bytes to the GPU");
    }

    @Override
    public void download(long address, Object hostArray, long bytes) {
        synchronize();
        check(cuMemcpyDtoH(host(hostArray), pointer(address, bytes), bytes), "copying " + bytes + " bytes from the GPU");
    }

    @Override
    public void copy(long src, long dst, long bytes) {
        current();
        check(cuMemcpyDtoDAsync(pointer(dst, bytes), pointer(src, bytes), bytes, stream), "copying on the GPU");
    }

    @Override
    public void zero(long address, long bytes) {
        current();
        check(cuMemsetD8Async(pointer(address, bytes), (byte) 0, bytes, stream), "zeroing device memory");
    }

    @Override
    public void launch(String kernel, Launch launch, KernelArgs args) {
        current();
        CUfunction f = functions.get(kernel);
        if (f == null) {
            f = new CUfunction();
            int found = cuModuleGetFunction(f, module, kernel);
            if (found != CUresult.CUDA_SUCCESS) {
                throw new IllegalStateException("kernel " + kernel + " is not in the packaged fatbin ("
                        + CUresult.stringFor(found) + "): the jar's kernels and classes come from different sources");
            }
            functions.put(kernel, f);
        }
        NativePointerObject[] params = new NativePointerObject[args.size()];
        for (int i = 0; i < params.length; i++) {
            Number v = args.value(i);
            switch (args.kind(i)) {
                case INT: params[i] = Pointer.to(new int[] {v.intValue()}); break;
                case FLOAT: params[i] = Pointer.to(new float[] {v.floatValue()}); break;
                case DOUBLE: params[i] = Pointer.to(new double[] {v.doubleValue()}); break;
                default: params[i] = Pointer.to(new long[] {v.longValue()}); // POINTER, LONG
            }
        }
        check(cuLaunchKernel(f, launch.gridX(), launch.gridY(), launch.gridZ(), launch.block(), 1, 1, 0, stream,
                Pointer.to(params), null), "launching " + kernel + args);
    }

    @Override
    public void synchronize() {
        current();
        check(cuStreamSynchronize(stream), "running kernels on cuda:" + index);
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            synchronize();
            for (Allocation a : allocations.values()) cuMemFree(a.pointer());
            allocations.clear();
            cuStreamDestroy(stream);
            cuModuleUnload(module);
        } finally {
            closed = true;
            cuDevicePrimaryCtxRelease(device);
        }
    }
}
