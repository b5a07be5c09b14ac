/* icuuc.dll for Wine only: the 20 ICU converter functions Qt6Core.dll (PySide6 6.11.3) imports.
 *
 * Why: Qt 6 for Windows links Windows' own ICU (System32\icuuc.dll, there since Windows 10 1903)
 * for the text codecs it does not implement itself (QStringConverter::encodingForName beyond
 * UTF-8/16/32 and Latin-1, and the System/Locale codec). Wine 8 ships no icuuc.dll, so
 * Qt6Core.dll -- and every PySide6 module -- fails to load ("DLL load failed ... 找不到模块").
 *
 * What it does: no converter exists. ucnv_open fails with U_FILE_ACCESS_ERROR (what real ICU says
 * for an unknown name), ucnv_countAvailable is 0, and the functions that need an open converter
 * (never reached, as none can be opened) report U_UNSUPPORTED_ERROR. Qt then behaves as for an
 * unknown encoding name. The console uses no named codec (it decodes UTF-8 only), so nothing it
 * does goes through here; on a real Windows the system ICU answers instead. This file is not
 * shipped: build/wine/stage.sh builds it with Debian's gcc-mingw-w64-x86-64 into the Wine prefix's
 * System32, where Windows keeps its own icuuc.dll. See build/wine/README.md.
 */
#include <stddef.h>
#include <stdint.h>

#define EXPORT __declspec(dllexport)

typedef int UErrorCode;
typedef uint16_t UChar;
typedef int32_t UChar32;
typedef int8_t UBool;
typedef struct UConverter UConverter;
typedef void (*UConverterToUCallback)(void);
typedef void (*UConverterFromUCallback)(void);

enum { U_ZERO_ERROR = 0, U_FILE_ACCESS_ERROR = 4, U_UNSUPPORTED_ERROR = 16 };

static void fail(UErrorCode *err, UErrorCode code) {
    if (err != NULL && *err <= U_ZERO_ERROR) *err = code;
}

EXPORT UConverter *ucnv_open(const char *name, UErrorCode *err) {
    (void)name;
    fail(err, U_FILE_ACCESS_ERROR);
    return NULL;
}

EXPORT void ucnv_close(UConverter *cnv) { (void)cnv; }
EXPORT void ucnv_reset(UConverter *cnv) { (void)cnv; }
EXPORT int8_t ucnv_getMaxCharSize(const UConverter *cnv) { (void)cnv; return 1; }

EXPORT const char *ucnv_getName(const UConverter *cnv, UErrorCode *err) {
    (void)cnv;
    fail(err, U_UNSUPPORTED_ERROR);
    return NULL;
}

EXPORT void ucnv_getToUCallBack(const UConverter *cnv, UConverterToUCallback *action, const void **context) {
    (void)cnv;
    if (action != NULL) *action = NULL;
    if (context != NULL) *context = NULL;
}

EXPORT void ucnv_getFromUCallBack(const UConverter *cnv, UConverterFromUCallback *action, const void **context) {
    (void)cnv;
    if (action != NULL) *action = NULL;
    if (context != NULL) *context = NULL;
}

EXPORT void ucnv_setToUCallBack(UConverter *cnv, UConverterToUCallback action, const void *context,
                                UConverterToUCallback *old_action, const void **old_context, UErrorCode *err) {
    (void)cnv; (void)action; (void)context;
    ucnv_getToUCallBack(NULL, old_action, old_context);
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT void ucnv_setFromUCallBack(UConverter *cnv, UConverterFromUCallback action, const void *context,
                                  UConverterFromUCallback *old_action, const void **old_context, UErrorCode *err) {
    (void)cnv; (void)action; (void)context;
    ucnv_getFromUCallBack(NULL, old_action, old_context);
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT void UCNV_FROM_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const UChar *units, int32_t length,
                                            UChar32 cp, int reason, UErrorCode *err) {
    (void)context; (void)args; (void)units; (void)length; (void)cp; (void)reason;
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT void UCNV_TO_U_CALLBACK_SUBSTITUTE(const void *context, void *args, const char *units, int32_t length,
                                          int reason, UErrorCode *err) {
    (void)context; (void)args; (void)units; (void)length; (void)reason;
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT void ucnv_cbToUWriteUChars(void *args, const UChar *source, int32_t length, int32_t offset, UErrorCode *err) {
    (void)args; (void)source; (void)length; (void)offset;
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT void ucnv_cbFromUWriteUChars(void *args, const UChar **source, const UChar *limit, int32_t offset,
                                    UErrorCode *err) {
    (void)args; (void)source; (void)limit; (void)offset;
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT void ucnv_toUnicode(UConverter *cnv, UChar **target, const UChar *target_limit, const char **source,
                           const char *source_limit, int32_t *offsets, UBool flush, UErrorCode *err) {
    (void)cnv; (void)target; (void)target_limit; (void)source; (void)source_limit; (void)offsets; (void)flush;
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT void ucnv_fromUnicode(UConverter *cnv, char **target, const char *target_limit, const UChar **source,
                             const UChar *source_limit, int32_t *offsets, UBool flush, UErrorCode *err) {
    (void)cnv; (void)target; (void)target_limit; (void)source; (void)source_limit; (void)offsets; (void)flush;
    fail(err, U_UNSUPPORTED_ERROR);
}

EXPORT int32_t ucnv_toUCountPending(const UConverter *cnv, UErrorCode *err) {
    (void)cnv;
    fail(err, U_UNSUPPORTED_ERROR);
    return 0;
}

EXPORT int32_t ucnv_fromUCountPending(const UConverter *cnv, UErrorCode *err) {
    (void)cnv;
    fail(err, U_UNSUPPORTED_ERROR);
    return 0;
}

EXPORT const char *ucnv_getStandardName(const char *name, const char *standard, UErrorCode *err) {
    (void)name; (void)standard; (void)err;
    return NULL; /* "no such alias": ICU returns NULL without an error code */
}

EXPORT int32_t ucnv_countAvailable(void) { return 0; }
EXPORT const char *ucnv_getAvailableName(int32_t n) { (void)n; return NULL; }
