// Runs the kernels of tiebreak.cu on the host for the JUnit tests (EmulatedDevice.java): a launch runs its blocks
// one after another; the threads of a block are ucontext fibers switched at __syncthreads(). Checks that every
// thread of a block reaches each barrier (a thread that returns while others wait is reported as an error).
#include <ucontext.h>

#include <map>
#include <string>
#include <vector>

#include "cuda_host_shim.h"

namespace tb_emu {
namespace {
enum State { READY, AT_BARRIER, DONE };

struct Fiber {
    ucontext_t context;
    std::vector<char> stack;
    dim3 index;
    State state;
};

struct Kernel {
    void* fn;
    Launcher launcher;
};

std::map<std::string, Kernel>& registry() {
    static std::map<std::string, Kernel> kernels;
    return kernels;
}

const size_t STACK_BYTES = 256 * 1024;
std::vector<Fiber> fibers;
ucontext_t scheduler;
int current = -1;
dim3 grid, block, blockIndex;
const Kernel* running = nullptr;
void** runningArgs = nullptr;

void fiber_main() {
    running->launcher(running->fn, runningArgs);
    fibers[current].state = DONE;  // returning resumes the scheduler through uc_link
}

// Runs one block; returns an error message, or an empty string.
std::string run_block() {
    size_t n = (size_t)block.x * block.y * block.z;
    if (fibers.size() < n) fibers.resize(n);
    for (size_t t = 0; t < n; t++) {
        Fiber& f = fibers[t];
        if (f.stack.empty()) f.stack.resize(STACK_BYTES);
        getcontext(&f.context);
        f.context.uc_stack.ss_sp = f.stack.data();
        f.context.uc_stack.ss_size = f.stack.size();
        f.context.uc_link = &scheduler;
        makecontext(&f.context, fiber_main, 0);
        f.index = dim3{(unsigned)(t % block.x), (unsigned)(t / block.x % block.y), (unsigned)(t / ((size_t)block.x * block.y))};
        f.state = READY;
    }
    for (;;) {
        for (size_t t = 0; t < n; t++) {
            if (fibers[t].state != READY) continue;
            current = (int)t;
            swapcontext(&scheduler, &fibers[t].context);
        }
        size_t waiting = 0, done = 0;
        for (size_t t = 0; t < n; t++) {
            if (fibers[t].state == AT_BARRIER) waiting++;
            if (fibers[t].state == DONE) done++;
        }
        if (done == n) return "";
        if (done != 0) {
            return "divergent __syncthreads: " + std::to_string(waiting) + " threads wait at a barrier that " +
                   std::to_string(done) + " threads left without reaching";
        }
        for (size_t t = 0; t < n; t++) fibers[t].state = READY;
    }
}
}  // namespace

dim3 thread_idx() { return fibers[current].index; }
dim3 block_idx() { return blockIndex; }
dim3 block_dim() { return block; }
dim3 grid_dim() { return grid; }

void sync_threads() {
    Fiber& f = fibers[current];
    f.state = AT_BARRIER;
    swapcontext(&f.context, &scheduler);
}

void register_kernel(const char* name, void* fn, Launcher launcher) { registry()[name] = Kernel{fn, launcher}; }
}  // namespace tb_emu

extern "C" {
// Launches a kernel like cuLaunchKernel (args: pointers to each argument's value). Returns 0, or -1 with a
// message in err.
int tb_emu_launch(const char* name, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                  void** args, char* err, int errLength) {
    using namespace tb_emu;
    auto it = registry().find(name);
    std::string failure;
    if (it == registry().end()) {
        failure = std::string("no kernel named ") + name;
    } else if (bx * by * bz == 0 || bx * by * bz > 1024 || gx * gy * gz == 0) {
        failure = "invalid launch geometry";
    } else {
        running = &it->second;
        runningArgs = args;
        grid = dim3{gx, gy, gz};
        block = dim3{bx, by, bz};
        for (unsigned z = 0; z < gz && failure.empty(); z++)
            for (unsigned y = 0; y < gy && failure.empty(); y++)
                for (unsigned x = 0; x < gx && failure.empty(); x++) {
                    blockIndex = dim3{x, y, z};
                    failure = run_block();
                }
        running = nullptr;
    }
    if (failure.empty()) return 0;
    snprintf(err, (size_t)errLength, "%s", failure.c_str());
    return -1;
}

int tb_emu_kernel_count() { return (int)tb_emu::registry().size(); }

const char* tb_emu_kernel_name(int i) {
    auto it = tb_emu::registry().begin();
    std::advance(it, i);
    return it->first.c_str();
}
}
