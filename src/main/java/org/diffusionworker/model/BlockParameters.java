package org.diffusionworker.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/** How the hand-written blocks declare a learned tensor: DJL's parameter builder, named as the seed names it. */
final class BlockParameters {

    private BlockParameters() {}

    /** A parameter of a fixed {@code shape}, for the block to register with {@code addParameter}. */
    static Parameter of(String name, Parameter.Type type, Shape shape) {
        return Parameter.builder().setName(name).setType(type).optShape(shape).build();
    }
}
