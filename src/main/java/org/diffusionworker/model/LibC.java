package org.diffusionworker.model;

import com.sun.jna.Library;
import com.sun.jna.Native;

/** The few C library functions the process set-up calls by name (JNA, which DJL brings). */
interface LibC extends Library {

    /** Sets an environment variable of this process, as native code (oneDNN) reads it. */
    int setenv(String name, String value, int overwrite);

    /** glibc's malloc parameters; 1 when taken. Absent from other C libraries (the call then throws). */
    int mallopt(int param, int value);

    /** Binds libc; JNA resolves each function at its first call. */
    static LibC load() {
        return Native.load("c", LibC.class);
    }
}
