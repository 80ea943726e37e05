package dev.haul.internal.http1;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Whether the calling thread is virtual, on a JDK that has them (21+), from code compiled for 17:
 * {@code Thread.isVirtual()} through a method handle looked up once.
 */
final class VirtualThreads {
    private static final MethodHandle IS_VIRTUAL = lookUp();

    private VirtualThreads() {
    }

    private static MethodHandle lookUp() {
        try {
            return MethodHandles.publicLookup().findVirtual(Thread.class, "isVirtual",
                    MethodType.methodType(boolean.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null; // JDK 17-20: every thread is a platform thread
        }
    }

    /** Whether the JDK can make virtual threads. */
    static boolean supported() {
        return IS_VIRTUAL != null;
    }

    /** Whether the current thread is a virtual thread. */
    static boolean current() {
        if (IS_VIRTUAL == null) {
            return false;
        }
        try {
            return (boolean) IS_VIRTUAL.invokeExact(Thread.currentThread());
        } catch (Throwable t) {
            return false;
        }
    }
}
