package org.diffusionworker.training;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class TrainingDependenciesTest {

    /** The trainer and the evaluation reach the network through model and diffusion only (house style). */
    @Test
    void trainingImportsNothingAboveItInTheHouse() {
        JavaClasses training = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.diffusionworker.training");
        noClasses().should().dependOnClassesThat()
                .resideInAnyPackage("org.diffusionworker.generation..", "org.diffusionworker.cli..",
                        "org.diffusionworker.worker..", "org.diffusionworker.messaging..",
                        "org.diffusionworker.storage..", "org.diffusionworker.embedded..", "me.tongfei..", "picocli..")
                .check(training);
    }
}
