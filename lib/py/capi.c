/* The looked-up C API table.  See capi.h. */
#include "config.h"
#include "py/capi.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

struct lg_capi lg_py;
int lg_py_minor;

bool lg_py_resolve(void)
{
    static bool resolved; /* then the table is only read: the watchdog may be */
    if (resolved)
        return true;
#define FIND(field, name) (*(void **)&lg_py.field = dlsym(RTLD_DEFAULT, name))
    bool ok = FIND(IsInitialized, "Py_IsInitialized") && FIND(GetVersion, "Py_GetVersion")
        && FIND(AddAuditHook, "PySys_AddAuditHook") /* 3.8+ */
        && FIND(AppendInittab, "PyImport_AppendInittab")
        && FIND(ModuleCreate2, "PyModule_Create2")
        && FIND(AddPendingCall, "Py_AddPendingCall")
        && FIND(GILStateEnsure, "PyGILState_Ensure")
        && FIND(GILStateRelease, "PyGILState_Release")
        && FIND(SetAsyncExc, "PyThreadState_SetAsyncExc")
        && FIND(ImportModule, "PyImport_ImportModule")
        && FIND(GetAttrString, "PyObject_GetAttrString")
        && FIND(SetAttrString, "PyObject_SetAttrString")
        && FIND(CallFunction, "PyObject_CallFunction")
        && FIND(Call, "PyObject_Call")
        && FIND(CFunctionNewEx, "PyCFunction_NewEx")
        && FIND(NewException, "PyErr_NewExceptionWithDoc")
        && FIND(SetString, "PyErr_SetString") && FIND(Clear, "PyErr_Clear")
        && FIND(Occurred, "PyErr_Occurred")
        && FIND(Fetch, "PyErr_Fetch") && FIND(Restore, "PyErr_Restore")
        && FIND(IncRef, "Py_IncRef") && FIND(DecRef, "Py_DecRef")
        && FIND(AsLong, "PyLong_AsLong")
        && FIND(TupleGetItem, "PyTuple_GetItem") && FIND(TupleSize, "PyTuple_Size")
        && FIND(IsSubclass, "PyObject_IsSubclass")
        && FIND(GetFrame, "PyEval_GetFrame")
        && FIND(BaseException, "PyExc_BaseException")
        && FIND(None, "_Py_NoneStruct")
        && FIND(SetTrace, "PyEval_SetTrace") && FIND(ThreadStateGet, "PyThreadState_Get")
        && FIND(ThreadStateSwap, "PyThreadState_Swap")
        && FIND(InterpreterMain, "PyInterpreterState_Main")
        && FIND(ThreadHead, "PyInterpreterState_ThreadHead")
        && FIND(ThreadNext, "PyThreadState_Next")
        && FIND(GetThreadIdent, "PyThread_get_thread_ident")
        && FIND(DictNew, "PyDict_New") && FIND(DictGetItem, "PyDict_GetItem")
        && FIND(DictGetItemString, "PyDict_GetItemString")
        && FIND(DictSetItem, "PyDict_SetItem") && FIND(DictSetItemString, "PyDict_SetItemString")
        && FIND(DictSize, "PyDict_Size") && FIND(DictClear, "PyDict_Clear")
        && FIND(GetBuiltins, "PyEval_GetBuiltins") && FIND(RunString, "PyRun_StringFlags")
        && FIND(BytesAsString, "PyBytes_AsString") && FIND(BytesSize, "PyBytes_Size")
        && FIND(BytesFromStringAndSize, "PyBytes_FromStringAndSize")
        && FIND(UnicodeAsUTF8, "PyUnicode_AsUTF8")
        && FIND(LongFromUnsignedLong, "PyLong_FromUnsignedLong")
        && FIND(SetNew, "PySet_New") && FIND(SetAdd, "PySet_Add")
        && FIND(SetContains, "PySet_Contains") && FIND(SetSize, "PySet_Size")
        && FIND(True, "_Py_TrueStruct") && FIND(False, "_Py_FalseStruct");
    if (!ok)
        return false;
    /* Public from 3.13; the private name before (and still exported). */
    if (!FIND(IsFinalizing, "Py_IsFinalizing"))
        FIND(IsFinalizing, "_Py_IsFinalizing");
    FIND(ThreadStateGetFrame, "PyThreadState_GetFrame");
    FIND(SetTraceAllThreads, "PyEval_SetTraceAllThreads");
    const char *version = lg_py.GetVersion();
    if (strncmp(version, "3.", 2) != 0)
        return false;
    lg_py_minor = atoi(version + 2);
    /* 3.12 moved the GIL into the interpreter: these need the GIL then, and
     * the package gives us the interval's address instead (helper.c). */
    if (lg_py_minor < 12) {
        FIND(GetSwitchInterval, "_PyEval_GetSwitchInterval");
        FIND(SetSwitchInterval, "_PyEval_SetSwitchInterval");
    }
#undef FIND
    resolved = true;
    return true;
}
