/* bcryptprimitives.dll for Wine only: ProcessPrng, the one function QtWebEngine's Chromium takes
 * from it (base::RandBytes). Windows has shipped it since Windows 8; Wine 8 has no such DLL, so
 * Qt6WebEngineCore.dll hits a CHECK (EXCEPTION_BREAKPOINT) while loading and every import of
 * PySide6.QtWebEngineCore fails ("DLL load failed with error code 2147483651").
 *
 * Here ProcessPrng fills the buffer from Wine's BCryptGenRandom (the system RNG, as on Windows).
 * Not shipped: build/wine/stage.sh builds it into the prefix's System32. See build/wine/README.md.
 */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T size) {
    while (size > 0) {
        ULONG chunk = size > 0x40000000 ? 0x40000000 : (ULONG)size;
        if (BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0) return FALSE;
        data += chunk;
        size -= chunk;
    }
    return TRUE;
}
