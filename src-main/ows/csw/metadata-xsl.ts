/** Where the stylesheet of the "ISO with XSL" record is served (GeoNode's path for its own). */
export const METADATA_XSL_PATH = '/static/metadataxsl/metadata.xsl'

/**
 * An XSLT 1.0 stylesheet that shows an ISO 19139 record (as the catalogue writes it) as a page:
 * title and abstract, the record's identity, contacts, dates, keywords by type, extent, constraints,
 * the resource's links and its lineage. Browsers apply it through the record's xml-stylesheet
 * instruction.
 */
export const METADATA_XSL = `<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
  xmlns:gmd="http://www.isotc211.org/2005/gmd" xmlns:gco="http://www.isotc211.org/2005/gco" xmlns:gml="http://www.opengis.net/gml/3.2">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>

  <xsl:template match="/">
    <xsl:apply-templates select="gmd:MD_Metadata"/>
  </xsl:template>

  <xsl:template match="gmd:MD_Metadata">
    <xsl:variable name="id" select="gmd:identificationInfo/*"/>
    <html>
      <head>
        <meta charset="utf-8"/>
        <title><xsl:value-of select="$id/gmd:citation/*/gmd:title/*"/></title>
        <style>
          body { font: 15px/1.5 system-ui, sans-serif; margin: 2em auto; max-width: 60em; padding: 0 1em; color: #1d2630; }
          h1 { font-size: 1.6em; margin-bottom: 0.2em; }
          h2 { font-size: 1.1em; margin-top: 1.6em; border-bottom: 1px solid #d5dde5; padding-bottom: 0.2em; }
          .kind { color: #5b6b7b; text-transform: uppercase; letter-spacing: 0.05em; font-size: 0.8em; }
          table { border-collapse: collapse; width: 100%; }
          th, td { text-align: left; vertical-align: top; padding: 0.3em 0.6em 0.3em 0; border-bottom: 1px solid #eef1f4; }
          th { width: 14em; color: #5b6b7b; font-weight: 600; }
          .chip { display: inline-block; background: #eef3f8; border-radius: 1em; padding: 0 0.7em; margin: 0 0.3em 0.3em 0; }
          a { color: #1a5fb4; word-break: break-all; }
        </style>
      </head>
      <body>
        <div class="kind"><xsl:value-of select="gmd:hierarchyLevel/*/@codeListValue"/></div>
        <h1><xsl:value-of select="$id/gmd:citation/*/gmd:title/*"/></h1>
        <p><xsl:value-of select="$id/gmd:abstract/*"/></p>

        <h2>Identification</h2>
        <table>
          <tr><th>Identifier</th><td><xsl:value-of select="gmd:fileIdentifier/*"/></td></tr>
          <xsl:for-each select="$id/gmd:citation/*/gmd:alternateTitle"><tr><th>Name</th><td><xsl:value-of select="*"/></td></tr></xsl:for-each>
          <xsl:for-each select="$id/gmd:citation/*/gmd:date/*">
            <tr><th>Date (<xsl:value-of select="gmd:dateType/*/@codeListValue"/>)</th><td><xsl:value-of select="gmd:date/*"/></td></tr>
          </xsl:for-each>
          <tr><th>Metadata updated</th><td><xsl:value-of select="gmd:dateStamp/*"/></td></tr>
          <tr><th>Language</th><td><xsl:value-of select="gmd:language/*"/></td></tr>
          <xsl:for-each select="$id/gmd:topicCategory"><tr><th>Category</th><td><xsl:value-of select="*"/></td></tr></xsl:for-each>
          <xsl:for-each select="gmd:referenceSystemInfo"><tr><th>Reference system</th><td><xsl:value-of select=".//gmd:code/*"/></td></tr></xsl:for-each>
          <xsl:for-each select="$id/gmd:purpose"><tr><th>Purpose</th><td><xsl:value-of select="*"/></td></tr></xsl:for-each>
          <xsl:for-each select="$id/gmd:supplementalInformation"><tr><th>Supplemental information</th><td><xsl:value-of select="*"/></td></tr></xsl:for-each>
        </table>

        <h2>Contacts</h2>
        <table>
          <xsl:for-each select="gmd:contact/* | $id/gmd:pointOfContact/*">
            <tr><th><xsl:value-of select="gmd:role/*/@codeListValue"/></th>
              <td><xsl:value-of select="gmd:individualName/*"/>
                <xsl:for-each select=".//gmd:linkage/gmd:URL"> (<a href="{.}"><xsl:value-of select="."/></a>)</xsl:for-each></td></tr>
          </xsl:for-each>
        </table>

        <xsl:if test="$id/gmd:descriptiveKeywords">
          <h2>Keywords</h2>
          <table>
            <xsl:for-each select="$id/gmd:descriptiveKeywords/gmd:MD_Keywords">
              <tr><th><xsl:value-of select="gmd:type/*/@codeListValue"/><xsl:if test="gmd:thesaurusName"> (<xsl:value-of select="gmd:thesaurusName//gmd:title/*"/>)</xsl:if></th>
                <td><xsl:for-each select="gmd:keyword"><span class="chip"><xsl:value-of select="*"/></span></xsl:for-each></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>

        <xsl:for-each select="$id/gmd:extent/gmd:EX_Extent">
          <h2>Extent</h2>
          <table>
            <xsl:for-each select="gmd:geographicElement/gmd:EX_GeographicBoundingBox">
              <tr><th>West, east</th><td><xsl:value-of select="gmd:westBoundLongitude/*"/>, <xsl:value-of select="gmd:eastBoundLongitude/*"/></td></tr>
              <tr><th>South, north</th><td><xsl:value-of select="gmd:southBoundLatitude/*"/>, <xsl:value-of select="gmd:northBoundLatitude/*"/></td></tr>
            </xsl:for-each>
            <xsl:for-each select="gmd:temporalElement//gml:TimePeriod">
              <tr><th>Time</th><td><xsl:value-of select="gml:beginPosition"/> to <xsl:value-of select="gml:endPosition"/></td></tr>
            </xsl:for-each>
          </table>
        </xsl:for-each>

        <xsl:if test="$id/gmd:resourceConstraints">
          <h2>Constraints</h2>
          <table>
            <xsl:for-each select="$id/gmd:resourceConstraints/*/*">
              <tr><th><xsl:value-of select="local-name()"/></th><td><xsl:value-of select="*"/><xsl:value-of select="*/@codeListValue"/></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>

        <xsl:if test="gmd:distributionInfo">
          <h2>Services and downloads</h2>
          <table>
            <xsl:for-each select="gmd:distributionInfo//gmd:CI_OnlineResource">
              <tr><th><xsl:value-of select="gmd:description/*"/><br/><small><xsl:value-of select="gmd:protocol/*"/></small></th>
                <td><a href="{gmd:linkage/gmd:URL}"><xsl:value-of select="gmd:linkage/gmd:URL"/></a></td></tr>
            </xsl:for-each>
          </table>
        </xsl:if>

        <xsl:for-each select="gmd:dataQualityInfo//gmd:LI_Lineage/gmd:statement">
          <h2>Lineage</h2>
          <p><xsl:value-of select="*"/></p>
        </xsl:for-each>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
`
