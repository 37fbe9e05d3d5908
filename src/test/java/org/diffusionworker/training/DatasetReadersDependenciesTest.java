package org.diffusionworker.training;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import org.junit.jupiter.api.Test;

class DatasetReadersDependenciesTest {

    /**
     * The readers stay on the JDK (plus the imaging package's ImageBatch, a JDK-only type) so they
     * load data without an engine; the trainer, which shares the package, may use DJL.
     */
    @Test
    void datasetReadersDependOnlyOnTheJdk() {
        JavaClasses readers = new ClassFileImporter().importClasses(
                ImageDataset.class, DatasetFormat.class, DatasetSplit.class, DatasetLoader.class, LabelNames.class,
                InvalidDatasetException.class, IdxDatasetReader.class, IdxDatasetReader.IdxFiles.class,
                IdxFile.class, IdxArray.class, IdxContent.class, NpyDatasetReader.class, NpyFile.class,
                NpyHeader.class, NpyArray.class, NpyDtype.class, NpyLabels.class, FolderDatasetReader.class,
                DecodedImage.class, DatasetFiles.class, LabelIndices.class, UnitRange.class);
        classes().should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "javax..", "org.diffusionworker.training..",
                        "org.diffusionworker.imaging..")
                .check(readers);
    }
}
