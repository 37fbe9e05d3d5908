package org.diffusionworker.worker;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The worker's and messaging's places in the house (docs: house-style.md), as plain Jupiter tests: ArchUnit's own
 * engine discovers nothing on the JUnit 6 platform that Quarkus 3.33 brings.
 */
class WorkerDependenciesTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(new ImportOption.DoNotIncludeTests())
            .importPackages("org.diffusionworker");

    @Test
    void workerUsesGenerationImagingAndStorageButNoKafkaNorMessaging() {
        classes().that().resideInAPackage("org.diffusionworker.worker..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..", "org.diffusionworker.worker..", "org.diffusionworker.generation..",
                        "org.diffusionworker.imaging..", "org.diffusionworker.storage..",
                        // Types the engine exposes: sampler settings, guidance, the model card.
                        "org.diffusionworker.diffusion..", "org.diffusionworker.model..",
                        "org.jboss.logging..")
                .check(MAIN);
    }

    @Test
    void nothingImportsMessaging() {
        noClasses().that().resideOutsideOfPackage("org.diffusionworker.messaging..")
                .should().dependOnClassesThat().resideInAPackage("org.diffusionworker.messaging..")
                .check(MAIN);
    }

    @Test
    void messagingUsesTheWorkerNotTheEngineInternals() {
        noClasses().that().resideInAPackage("org.diffusionworker.messaging..")
                .should().dependOnClassesThat().resideInAnyPackage("org.diffusionworker.imaging..",
                        "org.diffusionworker.training..", "org.diffusionworker.cli..", "org.diffusionworker.embedded..")
                .check(MAIN);
    }

    @Test
    void onlyMessagingAndTheCommandLineTouchKafka() {
        noClasses().that().resideOutsideOfPackages("org.diffusionworker.messaging..", "org.diffusionworker.cli..",
                        "org.diffusionworker.embedded..")
                .should().dependOnClassesThat().resideInAnyPackage("org.apache.kafka..", "io.smallrye.reactive..")
                .check(MAIN);
    }

    @Test
    void mainCodeNeverUsesTheEmbeddedInfrastructure() {
        // src/embedded/java is compiled into main only in the default profile; -Dproduction builds leave it out.
        noClasses().that().resideOutsideOfPackage("org.diffusionworker.embedded..")
                .and().doNotHaveSimpleName("EmbeddedLocalInfrastructure")
                .and().doNotHaveSimpleName("DemoCommand")
                .should().dependOnClassesThat().resideInAPackage("org.diffusionworker.embedded..")
                .check(MAIN);
    }
}
