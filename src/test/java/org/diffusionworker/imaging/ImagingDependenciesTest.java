package org.diffusionworker.imaging;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

class ImagingDependenciesTest {

    @Test
    void imagingDependsOnlyOnTheJdk() {
        JavaClasses imaging = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("org.diffusionworker.imaging");
        // org.w3c.dom is the JDK's DOM, which javax.imageio metadata trees are made of.
        classes().should().onlyDependOnClassesThat()
                .resideInAnyPackage("java..", "javax..", "org.w3c.dom..", "org.diffusionworker.imaging..")
                .check(imaging);
    }
}
