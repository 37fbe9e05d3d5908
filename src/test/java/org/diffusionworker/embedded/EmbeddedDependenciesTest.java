package org.diffusionworker.embedded;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import org.junit.jupiter.api.Test;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;

/** A plain Jupiter test rather than {@code @ArchTest}: see StorageDependenciesTest for why. */
class EmbeddedDependenciesTest {

    @Test
    void embeddedUsesOnlyKafkaAndTheJdk() {
        JavaClasses embedded = new ClassFileImporter()
                .withImportOption(new ImportOption.DoNotIncludeTests())
                .importPackages("org.diffusionworker.embedded");

        // With -Dproduction these classes are compiled as test classes and there is nothing to check.
        classes().that().resideInAPackage("org.diffusionworker.embedded..")
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..", "org.diffusionworker.embedded..", "org.apache.kafka..", "kafka..", "scala..", "org.jboss.logging..")
                .allowEmptyShould(true)
                .check(embedded);
    }
}
