package org.diffusionworker.training.data;

/** Which part of a dataset that ships as separate training and test files to read. */
public enum DatasetSplit {
    TRAIN,
    TEST
}
