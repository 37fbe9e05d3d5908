package org.diffusionworker.testing;

import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/** Gradient housekeeping and comparisons for the parity tests. */
public final class Gradients {

    private Gradients() {}

    /**
     * Zeroes the gradient of {@code array} with libtorch's {@code zero_()}, as the optimiser does
     * after every update. Not {@code grad.subi(grad)}: x - x keeps NaN and infinities.
     */
    public static void zero(NDArray array) {
        JniUtils.zeroGrad((PtNDArray) array);
    }

    /** Overwrites {@code parameter} with {@code value} and makes it record gradients again. */
    public static void assign(Parameter parameter, NDArray value) {
        NDArray target = parameter.getArray();
        if (!target.getShape().equals(value.getShape())) {
            throw new AssertionError(parameter.getName() + ": shape " + target.getShape() + " vs " + value.getShape());
        }
        value.copyTo(target);
        if (parameter.requiresGradient()) {
            target.setRequiresGradient(true);
        }
    }

    /** The largest absolute value of {@code array}. */
    public static double maxAbs(NDArray array) {
        return array.abs().max().getFloat();
    }

    /**
     * Fails unless every element of {@code actual} is within {@code tolerance} of
     * {@code reference}; names the worst element. NaN anywhere fails.
     */
    public static void assertWithin(String what, NDArray actual, NDArray reference, double tolerance) {
        assertWithin(what, actual, reference, i -> tolerance);
    }

    /** As {@link #assertWithin(String, NDArray, NDArray, double)}, with a tolerance per element. */
    public static void assertWithin(String what, NDArray actual, NDArray reference, IntToDoubleFunction tolerance) {
        if (!actual.getShape().equals(reference.getShape())) {
            fail(what + ": shape " + actual.getShape() + ", reference " + reference.getShape());
        }
        float[] a = actual.toFloatArray();
        float[] r = reference.toFloatArray();
        for (int i = 0; i < a.length; i++) {
            double gap = Math.abs((double) a[i] - r[i]);
            double allowed = tolerance.applyAsDouble(i);
            if (!(gap <= allowed)) {
                fail(String.format(Locale.ROOT, "%s: element %d of %d is %s, reference %s (gap %.3g > tolerance %.3g)",
                        what, i, a.length, a[i], r[i], gap, allowed));
            }
        }
    }
}
