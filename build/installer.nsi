; Guardian Console (守护台) installer - NSIS 3, Modern UI 2.
;
;   makensis -DBUNDLE_DIR=build\dist\GuardianConsole -DVERSION=0.1.0 build\installer.nsi
;   (optional) -DOUTFILE=path\GuardianConsole-0.1.0-setup.exe   -DFAST_COMPRESS (zlib, for CI)
;   Relative paths are from the repository root (run makensis from there, or anywhere without -NOCD).
;
; Installs per machine into $PROGRAMFILES64\GuardianConsole. User data (journal, settings,
; map pages, logs) lives in each user's %LOCALAPPDATA%\Guardian\GuardianConsole and is never
; touched by install, upgrade or uninstall. A settings page (or, silently, the command line
;   setup.exe /S /BROKERHOST=mqtt.example /BROKERPORT=8883 /DISTRICT=500112 /TOWNSHIP=T08 /CONSOLEID=ws-03
; ) writes the machine-wide defaults to $INSTDIR\console.toml. See build/README.md.

Unicode true

!ifndef BUNDLE_DIR
  !error "pass -DBUNDLE_DIR=<the PyInstaller output dir GuardianConsole>"
!endif
!ifndef VERSION
  !error "pass -DVERSION=<x.y.z> (console.__version__)"
!endif
!ifndef OUTFILE
  !define OUTFILE "GuardianConsole-${VERSION}-setup.exe"
!endif
; Relative paths (BUNDLE_DIR, OUTFILE) are taken from the repository root: makensis starts in
; this script's folder (unless -NOCD), so step up to the root first.
!if /FileExists "installer.nsi"
  !cd ".."
!endif
!if ! /FileExists "${BUNDLE_DIR}/_internal/*"
  !error "no PyInstaller bundle at ${BUNDLE_DIR} (relative paths are from the repository root)"
!endif
!define ICON_FILE "build/icon.ico"

!define APP_ID "GuardianConsole"
!define APP_NAME "Guardian Console 守护台"
!define PUBLISHER "Guardian"
!define GUI_EXE "GuardianConsole.exe"
!define CLI_EXE "guardian-cli.exe"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\${APP_ID}"
!define SM_DIR "$SMPROGRAMS\Guardian Console"
!define CONFIG "$INSTDIR\console.toml"
; Until a replay window exists, "Replay" runs the headless replay in a console window.
!ifndef REPLAY_ARGS
  !define REPLAY_ARGS "replay --gui --map"
!endif

!include "MUI2.nsh"
!include "nsDialogs.nsh"
!include "LogicLib.nsh"
!include "FileFunc.nsh"
!include "x64.nsh"

Name "${APP_NAME}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\${APP_ID}"
InstallDirRegKey HKLM "${UNINST_KEY}" "InstallLocation"
RequestExecutionLevel admin
!ifdef FAST_COMPRESS  ; CI's syntax check of the script: zlib takes a minute, solid LZMA ~7
  SetCompressor zlib
!else
  SetCompressor /SOLID lzma
!endif
ManifestDPIAware true
ShowInstDetails show
ShowUninstDetails show
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=0 "ProductName" "${APP_NAME}"
VIAddVersionKey /LANG=0 "CompanyName" "${PUBLISHER}"
VIAddVersionKey /LANG=0 "FileDescription" "${APP_NAME} setup"
VIAddVersionKey /LANG=0 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=0 "LegalCopyright" "Guardian Console project"

!define MUI_ICON "${ICON_FILE}"
!define MUI_UNICON "${ICON_FILE}"
!define MUI_ABORTWARNING

Var Dialog
Var hHost
Var hPort
Var hDistrict
Var hTownship
Var hConsoleId
Var hKeep
Var BrokerHost
Var BrokerPort
Var District
Var Township
Var ConsoleId
Var KeepConfig  ; 1: leave an existing console.toml as it is

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
Page custom SettingsCreate SettingsLeave
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "SimpChinese"
!insertmacro MUI_LANGUAGE "English"

LangString SET_TITLE ${LANG_SIMPCHINESE} "值守台设置"
LangString SET_TITLE ${LANG_ENGLISH} "Console settings"
LangString SET_SUB ${LANG_SIMPCHINESE} "报警总线与辖区（写入 console.toml，可随时修改）"
LangString SET_SUB ${LANG_ENGLISH} "Alarm bus and area (written to console.toml; you can edit it later)"
LangString SET_HOST ${LANG_SIMPCHINESE} "报警总线（MQTT）服务器地址："
LangString SET_HOST ${LANG_ENGLISH} "Alarm bus (MQTT) broker host:"
LangString SET_PORT ${LANG_SIMPCHINESE} "端口（1883 明文 / 8883 TLS）："
LangString SET_PORT ${LANG_ENGLISH} "Port (1883 plain / 8883 TLS):"
LangString SET_DISTRICT ${LANG_SIMPCHINESE} "区县代码："
LangString SET_DISTRICT ${LANG_ENGLISH} "District code:"
LangString SET_TOWNSHIP ${LANG_SIMPCHINESE} "镇街代码（区级值守台留空）："
LangString SET_TOWNSHIP ${LANG_ENGLISH} "Township code (leave empty for a district console):"
LangString SET_CONSOLE ${LANG_SIMPCHINESE} "值守台编号："
LangString SET_CONSOLE ${LANG_ENGLISH} "Console id:"
LangString SET_KEEP ${LANG_SIMPCHINESE} "保留现有的 console.toml（不修改设置）"
LangString SET_KEEP ${LANG_ENGLISH} "Keep the existing console.toml (do not change settings)"
LangString ERR_REQUIRED ${LANG_SIMPCHINESE} "请填写服务器地址、端口和区县代码。"
LangString ERR_REQUIRED ${LANG_ENGLISH} "Please fill in the broker host, port and district code."
LangString ERR_PORT ${LANG_SIMPCHINESE} "端口必须是 1 到 65535 之间的数字。"
LangString ERR_PORT ${LANG_ENGLISH} "The port must be a number from 1 to 65535."
LangString ERR_CHARS ${LANG_SIMPCHINESE} "地址、代码和编号只能包含字母、数字以及 . - _ :"
LangString ERR_CHARS ${LANG_ENGLISH} "Host, codes and console id may contain only letters, digits and . - _ :"
LangString ERR_X64 ${LANG_SIMPCHINESE} "守护台需要 64 位 Windows。"
LangString ERR_X64 ${LANG_ENGLISH} "Guardian Console needs 64-bit Windows."
LangString SC_CONSOLE ${LANG_SIMPCHINESE} "守护台"
LangString SC_CONSOLE ${LANG_ENGLISH} "Guardian Console"
LangString SC_REPLAY ${LANG_SIMPCHINESE} "事件回放"
LangString SC_REPLAY ${LANG_ENGLISH} "Replay"
LangString SC_VERIFY ${LANG_SIMPCHINESE} "校验审计日志"
LangString SC_VERIFY ${LANG_ENGLISH} "Verify audit journal"
LangString SC_SELFTEST ${LANG_SIMPCHINESE} "自检"
LangString SC_SELFTEST ${LANG_ENGLISH} "Self-test"
LangString SC_UNINSTALL ${LANG_SIMPCHINESE} "卸载守护台"
LangString SC_UNINSTALL ${LANG_ENGLISH} "Uninstall Guardian Console"

; --- helpers -----------------------------------------------------------------------------

; Push value; Call CheckChars; Pop result ("ok" or "bad"). Settings go into TOML strings, so
; only characters that need no escaping (and are ASCII, as FileWrite writes the ANSI page).
Function CheckChars
  Exch $0  ; value
  Push $1  ; index
  Push $2  ; char
  Push $3  ; allowed index
  Push $4  ; allowed char
  Push $5  ; allowed set
  StrCpy $5 "abcdefghijklmnopqrstuvwxyz0123456789.-_:"
  StrCpy $1 0
  next_char:
    StrCpy $2 $0 1 $1
    StrCmp $2 "" all_ok
    StrCpy $3 0
    next_allowed:
      StrCpy $4 $5 1 $3
      StrCmp $4 "" bad   ; not in the allowed set (StrCmp ignores case: A-Z pass too)
      StrCmp $4 $2 found
      IntOp $3 $3 + 1
      Goto next_allowed
    found:
    IntOp $1 $1 + 1
    Goto next_char
  all_ok:
    StrCpy $0 "ok"
    Goto done
  bad:
    StrCpy $0 "bad"
  done:
  Pop $5
  Pop $4
  Pop $3
  Pop $2
  Pop $1
  Exch $0
FunctionEnd

!macro _CheckChars VALUE RESULT
  Push "${VALUE}"
  Call CheckChars
  Pop ${RESULT}
!macroend
!define CheckChars "!insertmacro _CheckChars"

; Sets $0 to "" when the settings are usable, else to the message to show.
Function ValidateSettings
  StrCpy $0 ""
  ${If} $BrokerHost == ""
  ${OrIf} $BrokerPort == ""
  ${OrIf} $District == ""
    StrCpy $0 "$(ERR_REQUIRED)"
    Return
  ${EndIf}
  IntOp $1 $BrokerPort + 0
  ${If} "$1" != "$BrokerPort"
  ${OrIf} $1 < 1
  ${OrIf} $1 > 65535
    StrCpy $0 "$(ERR_PORT)"
    Return
  ${EndIf}
  ${CheckChars} "$BrokerHost$District$Township$ConsoleId" $1
  ${If} $1 != "ok"
    StrCpy $0 "$(ERR_CHARS)"
  ${EndIf}
FunctionEnd

Function WriteConfig
  ${If} $KeepConfig == 1
    DetailPrint "console.toml kept as it is"
    Return
  ${EndIf}
  ClearErrors
  FileOpen $0 "${CONFIG}" w
  ${If} ${Errors}
    DetailPrint "could not write ${CONFIG}"
    SetErrors
    Return
  ${EndIf}
  FileWrite $0 "# Guardian Console machine-wide defaults, written by the installer.$\r$\n"
  FileWrite $0 "# A user's %LOCALAPPDATA%\Guardian\GuardianConsole\console.toml, GUARDIAN_* variables$\r$\n"
  FileWrite $0 "# and command-line flags override these. TLS, credentials and the database URL$\r$\n"
  FileWrite $0 "# go here too, e.g. [broker] ca_file = $\"C:/ProgramData/Guardian/district-ca.crt$\"$\r$\n"
  FileWrite $0 "district = $\"$District$\"$\r$\n"
  ${If} $Township != ""
    FileWrite $0 "township = $\"$Township$\"$\r$\n"
  ${EndIf}
  ${If} $ConsoleId != ""
    FileWrite $0 "console_id = $\"$ConsoleId$\"$\r$\n"
  ${EndIf}
  FileWrite $0 "$\r$\n[broker]$\r$\n"
  FileWrite $0 "host = $\"$BrokerHost$\"$\r$\n"
  FileWrite $0 "port = $BrokerPort$\r$\n"
  FileClose $0
  DetailPrint "settings written to ${CONFIG}"
FunctionEnd

; --- install ----------------------------------------------------------------------------

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "$(ERR_X64)" /SD IDOK
    Abort
  ${EndIf}
  SetRegView 64
  ReadRegStr $0 HKLM "${UNINST_KEY}" "InstallLocation"
  ${If} $0 != ""
    StrCpy $INSTDIR $0
  ${EndIf}
  StrCpy $BrokerHost "127.0.0.1"
  StrCpy $BrokerPort "1883"
  StrCpy $District ""
  StrCpy $Township ""
  ReadEnvStr $ConsoleId "COMPUTERNAME"
  StrCpy $KeepConfig 0
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/BROKERHOST=" $R1
  ${IfNot} ${Errors}
    StrCpy $BrokerHost $R1
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/BROKERPORT=" $R1
  ${IfNot} ${Errors}
    StrCpy $BrokerPort $R1
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/DISTRICT=" $R1
  ${IfNot} ${Errors}
    StrCpy $District $R1
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/TOWNSHIP=" $R1
  ${IfNot} ${Errors}
    StrCpy $Township $R1
  ${EndIf}
  ClearErrors
  ${GetOptions} $R0 "/CONSOLEID=" $R1
  ${IfNot} ${Errors}
    StrCpy $ConsoleId $R1
  ${EndIf}
  ${If} ${Silent}
    ; Silent: write settings only when a district was given and they are valid.
    Call ValidateSettings
    ${If} $0 != ""
      StrCpy $KeepConfig 1
    ${EndIf}
  ${EndIf}
FunctionEnd

Function SettingsCreate
  !insertmacro MUI_HEADER_TEXT "$(SET_TITLE)" "$(SET_SUB)"
  nsDialogs::Create 1018
  Pop $Dialog
  ${If} $Dialog == error
    Abort
  ${EndIf}
  ${NSD_CreateLabel} 0 0 100% 10u "$(SET_HOST)"
  Pop $1
  ${NSD_CreateText} 0 11u 70% 12u "$BrokerHost"
  Pop $hHost
  ${NSD_CreateLabel} 0 27u 100% 10u "$(SET_PORT)"
  Pop $1
  ${NSD_CreateNumber} 0 38u 25% 12u "$BrokerPort"
  Pop $hPort
  ${NSD_CreateLabel} 0 54u 100% 10u "$(SET_DISTRICT)"
  Pop $1
  ${NSD_CreateText} 0 65u 40% 12u "$District"
  Pop $hDistrict
  ${NSD_CreateLabel} 0 81u 100% 10u "$(SET_TOWNSHIP)"
  Pop $1
  ${NSD_CreateText} 0 92u 40% 12u "$Township"
  Pop $hTownship
  ${NSD_CreateLabel} 0 108u 100% 10u "$(SET_CONSOLE)"
  Pop $1
  ${NSD_CreateText} 0 119u 40% 12u "$ConsoleId"
  Pop $hConsoleId
  StrCpy $hKeep 0
  ${If} ${FileExists} "${CONFIG}"
    ${NSD_CreateCheckbox} 0 134u 100% 10u "$(SET_KEEP)"
    Pop $hKeep
    ${NSD_Check} $hKeep
  ${EndIf}
  nsDialogs::Show
FunctionEnd

Function SettingsLeave
  ${NSD_GetText} $hHost $BrokerHost
  ${NSD_GetText} $hPort $BrokerPort
  ${NSD_GetText} $hDistrict $District
  ${NSD_GetText} $hTownship $Township
  ${NSD_GetText} $hConsoleId $ConsoleId
  StrCpy $KeepConfig 0
  ${If} $hKeep != 0
    ${NSD_GetState} $hKeep $1
    ${If} $1 == ${BST_CHECKED}
      StrCpy $KeepConfig 1
      Return
    ${EndIf}
  ${EndIf}
  Call ValidateSettings
  ${If} $0 != ""
    MessageBox MB_ICONEXCLAMATION "$0"
    Abort  ; stay on the page
  ${EndIf}
FunctionEnd

Section "Guardian Console" SecMain
  SectionIn RO
  SetRegView 64
  SetShellVarContext all
  SetOutPath "$INSTDIR"
  ; The previous version's libraries go; user data is not here and is not touched.
  RMDir /r "$INSTDIR\_internal"
  File /r "${BUNDLE_DIR}/*"
  Call WriteConfig
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "${SM_DIR}"
  CreateShortcut "${SM_DIR}\$(SC_CONSOLE).lnk" "$INSTDIR\${GUI_EXE}" "run" "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "${SM_DIR}\$(SC_REPLAY).lnk" "$SYSDIR\cmd.exe" '/k ""$INSTDIR\${CLI_EXE}" ${REPLAY_ARGS}"' "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "${SM_DIR}\$(SC_VERIFY).lnk" "$SYSDIR\cmd.exe" '/k ""$INSTDIR\${CLI_EXE}" audit verify"' "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "${SM_DIR}\$(SC_SELFTEST).lnk" "$SYSDIR\cmd.exe" '/k ""$INSTDIR\${CLI_EXE}" selftest"' "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "${SM_DIR}\$(SC_UNINSTALL).lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE}"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

; --- uninstall: the install dir and shortcuts only ----------------------------------------

Function un.onInit
  SetRegView 64
FunctionEnd

Section "Uninstall"
  SetRegView 64
  SetShellVarContext all
  Delete "${SM_DIR}\*.lnk"
  RMDir "${SM_DIR}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  Delete "${CONFIG}"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"  ; only if empty: nothing of the user's is ever deleted
  DeleteRegKey HKLM "${UNINST_KEY}"
SectionEnd
