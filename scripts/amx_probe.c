/* Exits 0 when this machine runs AMX tile instructions, non-zero (or dies) when not.
 *
 * llama.cpp built for the host CPU (-march=native) uses AMX wherever cpuid reports it,
 * but some virtual machines report AMX without enabling its tile state, and the first
 * matrix product then dies on a general protection fault (seen on a Firecracker VM).
 * scripts/install_llama_cpp.sh runs this once to decide whether to build without AMX. */
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <immintrin.h>

#define ARCH_REQ_XCOMP_PERM 0x1023 /* ask the kernel for the tile data state */
#define XFEATURE_XTILEDATA 18

int main(void) {
    unsigned char config[64];
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) != 0)
        return 1;
    memset(config, 0, sizeof config);
    config[0] = 1;                 /* palette 1 */
    config[16] = 64;               /* tile 0: 64 bytes per row ... */
    config[48] = 16;               /* ... and 16 rows */
    _tile_loadconfig(config);      /* where the faulty VMs die */
    _tile_zero(0);
    _tile_release();
    return 0;
}
